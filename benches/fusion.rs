//! The tracker at site scale: 500 objects seen by 8 sensors at 20 Hz each. One "fusion
//! frame" is one sensor's scan (500 detections with noise) processed by the tracker; a second
//! of site time is 160 of them. Reports criterion's timing and, from a counting allocator, the
//! allocations per frame in steady state; p50/p99 over 4,000 frames are printed to stderr.

use criterion::{criterion_group, criterion_main, Criterion};
use nalgebra::{Matrix2, Vector2};
use roadsight::fusion::{Class, Detection, Tracker, TrackerConfig};
use roadsight::rng::Rng;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const OBJECTS: usize = 500;
const SENSORS: u16 = 8;
const RATE_HZ: f64 = 20.0;

struct World {
    /// Position and velocity of each object: a grid of lanes over 600 m × 600 m.
    objects: Vec<(f64, f64, f64, f64)>,
    rng: Rng,
    dets: Vec<Detection>,
    t: f64,
    sensor: u16,
}

impl World {
    fn new() -> Self {
        let mut rng = Rng::new(5);
        let objects = (0..OBJECTS)
            .map(|i| {
                let lane = (i % 50) as f64 * 12.0 - 300.0;
                let along = (i / 50) as f64 * 60.0 - 300.0;
                let v = rng.range(5.0, 15.0);
                if i % 2 == 0 {
                    (along, lane, v, 0.0)
                } else {
                    (lane + 6.0, along, 0.0, -v)
                }
            })
            .collect();
        Self {
            objects,
            rng,
            dets: Vec::with_capacity(OBJECTS),
            t: 0.0,
            sensor: 0,
        }
    }

    /// The next scan: sensors take turns, each at 20 Hz, evenly interleaved.
    fn next_scan(&mut self) -> (f64, &[Detection]) {
        self.t += 1.0 / (RATE_HZ * f64::from(SENSORS));
        self.sensor = (self.sensor + 1) % SENSORS;
        self.dets.clear();
        for &(x, y, vx, vy) in &self.objects {
            if !self.rng.chance(0.95) {
                continue;
            }
            let sigma = 0.5;
            self.dets.push(Detection {
                t: self.t,
                sensor: self.sensor,
                pos: Vector2::new(
                    x + vx * self.t + sigma * self.rng.normal(),
                    y + vy * self.t + sigma * self.rng.normal(),
                ),
                cov: Matrix2::identity() * sigma * sigma,
                class: Class::Car,
                length_m: None,
                width_m: None,
                class_confidence: None,
                yaw_rad: None,
                radial: None,
            });
        }
        (self.t, &self.dets)
    }
}

fn bench(c: &mut Criterion) {
    let mut world = World::new();
    let mut tracker = Tracker::new(TrackerConfig::default()).expect("tracker");
    // Two seconds of site time: every object confirmed, buffers grown to size.
    for _ in 0..(2.0 * RATE_HZ * f64::from(SENSORS)) as usize {
        let (t, d) = world.next_scan();
        let _ = tracker.process(t, d);
    }
    let confirmed = tracker.confirmed().count();
    assert!(confirmed >= 490, "only {confirmed} confirmed");

    // Percentiles and allocations per frame, measured directly.
    let mut times = Vec::with_capacity(4000);
    let mut allocs = 0;
    for _ in 0..4000 {
        let (t, d) = world.next_scan();
        let d = d.to_vec();
        let a0 = ALLOCS.load(Ordering::Relaxed);
        let start = std::time::Instant::now();
        let _ = tracker.process(t, &d);
        times.push(start.elapsed().as_secs_f64() * 1e3);
        allocs += ALLOCS.load(Ordering::Relaxed) - a0;
    }
    times.sort_by(f64::total_cmp);
    eprintln!(
        "fusion frame, {OBJECTS} objects: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms; {:.2} allocations per frame; {} tracks confirmed",
        times[times.len() / 2],
        times[times.len() * 99 / 100],
        times[times.len() - 1],
        allocs as f64 / 4000.0,
        tracker.confirmed().count()
    );

    c.bench_function("fusion_frame_500_objects", |b| {
        b.iter(|| {
            let (t, d) = world.next_scan();
            let d = d.to_vec();
            tracker.process(t, &d)
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
