//! The `roadsight` command line: parses arguments and hands over to the library.

use anyhow::Context;
use clap::{Parser, Subcommand};
use roadsight::scenario::Scenario;
use roadsight::v2x::inspect;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "roadsight",
    version,
    about = "Roadside V2X cooperative-driving service"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where `run` logs to the rerun viewer (feature `viz`).
#[cfg(feature = "viz")]
#[derive(clap::Args)]
#[group(multiple = false, conflicts_with = "snapshot")]
struct RerunArgs {
    /// Log the run (map, sensors, detections, tracks, truth, hazards, signals) to this
    /// rerun recording (.rrd); open it with `rerun FILE`.
    #[arg(long, value_name = "FILE")]
    rerun: Option<PathBuf>,
    /// Log the run to a rerun viewer, started if none is listening (`rerun` on the PATH).
    #[arg(long)]
    rerun_spawn: bool,
    /// Log the run to the rerun viewer at HOST:PORT (or a rerun+http://…/proxy URL).
    #[arg(long, value_name = "ADDR")]
    rerun_connect: Option<String>,
}

#[cfg(feature = "viz")]
impl RerunArgs {
    fn destination(self) -> Option<roadsight::viz::rerun::Destination> {
        use roadsight::viz::rerun::Destination;
        match (self.rerun, self.rerun_spawn, self.rerun_connect) {
            (Some(p), _, _) => Some(Destination::File(p)),
            (_, true, _) => Some(Destination::Spawn),
            (_, _, Some(a)) => Some(Destination::Connect(a)),
            _ => None,
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Print the `[map]` and `[signal]` sections of a scenario for one junction of a SUMO
    /// network (.net.xml), with the site anchor and the lane-ID table as comments. A junction
    /// without a traffic light gets no `[signal]`.
    MapFromSumo {
        /// The SUMO network.
        net: PathBuf,
        /// The junction's ID in the network.
        #[arg(long, value_name = "ID")]
        junction: String,
        /// Keep this much of each ingress and egress lane, metres.
        #[arg(long, value_name = "M", default_value_t = 150.0)]
        clip_m: f64,
    },
    /// Run SUMO headless on a configuration and write a scenario of one junction: its map,
    /// its recorded signal timeline (if it has a traffic light), every road user near it as
    /// ground truth, and a default sensor layout (a camera and a radar per corner) to edit.
    ImportSumo {
        /// The SUMO configuration (.sumocfg).
        config: PathBuf,
        /// The junction's ID in the network.
        #[arg(long, value_name = "ID")]
        junction: String,
        /// The scenario file to write.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Scenario start, simulation seconds (default: the configuration's begin).
        #[arg(long, value_name = "S")]
        begin: Option<f64>,
        /// Scenario end, simulation seconds (default: the configuration's end).
        #[arg(long, value_name = "S")]
        end: Option<f64>,
        /// Keep road users within this distance of the junction, and lanes this long.
        #[arg(long, value_name = "M", default_value_t = 120.0)]
        radius_m: f64,
        /// The junction's WGS84 position as LAT,LON, for a network without a geo-reference.
        #[arg(long, value_name = "LAT,LON")]
        anchor: Option<String>,
        /// The sumo binary (default: $SUMO_HOME/bin/sumo, sumo on the PATH, or the eclipse-sumo
        /// Python package's).
        #[arg(long, value_name = "PATH")]
        sumo: Option<PathBuf>,
        /// Seed of the scenario's random draws (sensor noise).
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Replay a scenario through the pipeline on the virtual clock and print a summary.
    ///
    /// With no scenario, runs the bundled default (a signalised intersection, 120 s).
    Run {
        /// Scenario file (TOML, format in scenarios/README.md).
        #[arg(long, value_name = "FILE")]
        scenario: Option<PathBuf>,
        /// Write every message into this pcap capture (UDP/IPv4), timestamps from the replay clock.
        #[arg(long, value_name = "FILE")]
        pcap: Option<PathBuf>,
        /// Also send every message to this UDP address (repeatable).
        #[arg(long, value_name = "ADDR")]
        udp: Vec<SocketAddr>,
        /// Write the event log (one JSON object per line) here.
        #[arg(long, value_name = "FILE")]
        events: Option<PathBuf>,
        /// Export every sensor frame and evaluation instant (JSON lines), for reference trackers.
        #[arg(long, value_name = "FILE")]
        export: Option<PathBuf>,
        /// Record every pipeline input and output into this MCAP log, for `replay`. The
        /// simulated sensors then feed the pipeline their wire form, as live sensors do.
        #[arg(long, value_name = "FILE.mcap")]
        record: Option<PathBuf>,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
        /// Draw a top-down picture (SVG) of one moment: map, signals, sensors, detections,
        /// tracks, ground truth and hazards.
        #[arg(long, value_name = "FILE")]
        snapshot: Option<PathBuf>,
        /// The moment of --snapshot, seconds into the scenario (default: its middle).
        #[arg(long, value_name = "S", requires = "snapshot")]
        at: Option<f64>,
        #[cfg(feature = "viz")]
        #[command(flatten)]
        rerun: RerunArgs,
    },
    /// Feed a recorded log's inputs through the pipeline again, on the virtual clock, and
    /// print a summary: as fast as possible unless paced.
    Replay {
        /// The log: MCAP files, or directories of them, in order.
        #[arg(required = true, value_name = "LOG.mcap")]
        logs: Vec<PathBuf>,
        /// Record the replay's inputs and outputs into this MCAP log (for `diff`).
        #[arg(long, value_name = "FILE.mcap")]
        out: Option<PathBuf>,
        /// Pace the replay at real time.
        #[arg(long, conflicts_with = "speed")]
        realtime: bool,
        /// Pace the replay at this many times real time.
        #[arg(long, value_name = "X")]
        speed: Option<f64>,
        /// Keep the outputs from this many seconds after the log's time zero (the inputs
        /// before are replayed silently to build the state).
        #[arg(long, value_name = "S")]
        from: Option<f64>,
        /// Stop this many seconds after the log's time zero.
        #[arg(long, value_name = "S")]
        to: Option<f64>,
        /// Use this site configuration instead of the one in the log (e.g. one threshold
        /// changed).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Compare the outputs of two logs: messages per type, hazards started and ended, track
    /// positions. Exit code 0 when they are the same, 1 when they differ.
    Diff {
        a: PathBuf,
        b: PathBuf,
        /// Track positions further apart than this differ, metres.
        #[arg(long, value_name = "M", default_value_t = 0.01)]
        threshold_m: f64,
        /// Print the comparison as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Replay a scenario and measure the tracking against its ground truth: GOSPA, MOTA,
    /// MOTP, IDF1, ID switches, position and speed RMSE per class, share tracked.
    Eval {
        /// Scenario file; the bundled default when absent.
        scenario: Option<PathBuf>,
        /// Print the metrics as one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Run the live service on the real clock until SIGINT or SIGTERM.
    Serve {
        /// Site configuration (the scenario format: site, map, signals, sensors, outputs).
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// Also send every message to this UDP address (repeatable).
        #[arg(long, value_name = "ADDR")]
        udp: Vec<SocketAddr>,
        /// Capture every message sent.
        #[arg(long, value_name = "FILE")]
        pcap: Option<PathBuf>,
        /// Write the event log (one JSON object per line) here.
        #[arg(long, value_name = "FILE")]
        events: Option<PathBuf>,
        /// Stop by itself after this many seconds.
        #[arg(long, value_name = "SECONDS")]
        stop_after: Option<f64>,
        /// Feed the pipeline from the scenario's simulated sensors in-process instead of
        /// the sensors' live UDP inputs (their `listen` addresses).
        #[arg(long)]
        simulate: bool,
        /// Serve Prometheus metrics (`/metrics`) and health (`/healthz`) here, instead of
        /// the site's `[metrics] listen`; keep it on loopback, e.g. 127.0.0.1:9464.
        #[arg(long, value_name = "ADDR")]
        metrics: Option<SocketAddr>,
        /// Record every pipeline input and output into rotating MCAP files in this
        /// directory (limits from the site's `[record]` section, else defaults).
        #[arg(long, value_name = "DIR")]
        record: Option<PathBuf>,
    },
    /// Play a scenario's simulated sensors as live UDP streams, in their wire formats (camera
    /// JSON object lists, ARS408 CAN frames over a gateway), paced in real time: to each
    /// sensor's `listen` address, where `roadsight serve` takes them.
    Simulate {
        /// Scenario file; the bundled default when absent.
        #[arg(long, value_name = "FILE")]
        scenario: Option<PathBuf>,
        /// Send sensor N to this address instead (`N=ADDR`, repeatable).
        #[arg(long = "to", value_name = "N=ADDR")]
        to: Vec<String>,
        /// Start this many seconds into the scenario.
        #[arg(long, value_name = "SECONDS", default_value_t = 0.0)]
        from: f64,
        /// Stop by itself after this many seconds (the scenario's duration at most).
        #[arg(long, value_name = "SECONDS")]
        stop_after: Option<f64>,
    },
    /// Connect to a service's QUIC endpoint with a client certificate, subscribe by message
    /// type and area, and print each message as it arrives (one JSON object per line).
    #[cfg(feature = "quic")]
    Subscribe {
        /// The endpoint, `host:port`.
        #[arg(long, value_name = "ADDR")]
        server: String,
        /// CA (PEM) the server's certificate must chain to.
        #[arg(long, value_name = "FILE")]
        ca: PathBuf,
        /// This client's certificate chain (PEM).
        #[arg(long, value_name = "FILE")]
        cert: PathBuf,
        /// This client's private key (PEM).
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// Message types, comma-separated: RSM, SPAT, MAP, RSI.
        #[arg(
            long,
            value_name = "TYPES",
            value_delimiter = ',',
            default_value = "RSM,SPAT,MAP,RSI"
        )]
        types: Vec<String>,
        /// Centre of the area, `LAT,LON` in WGS84 degrees (with --radius-m).
        #[arg(long, value_name = "LAT,LON", allow_hyphen_values = true)]
        near: Option<String>,
        /// Radius of the area around --near, metres.
        #[arg(long, value_name = "M")]
        radius_m: Option<f64>,
        /// Stop after this many messages.
        #[arg(long, value_name = "N")]
        count: Option<u64>,
        /// The name in the server's certificate; the host of --server when absent.
        #[arg(long, value_name = "NAME")]
        server_name: Option<String>,
        /// Decode each message as `roadsight decode` does.
        #[arg(long)]
        decode: bool,
    },
    /// Decode V2X messages (UPER) and print them as JSON with the standard's field names.
    ///
    /// Each INPUT is a file (a pcap or pcapng capture of UDP datagrams, one message per
    /// datagram; a text file of hex; or the raw bytes of one message) or, if no such file
    /// exists, the message as hex.
    Decode {
        #[arg(required = true, value_name = "INPUT")]
        inputs: Vec<String>,
        /// ASN.1 type of the bytes when they are not a CN MessageFrame (MAPEM: an ETSI MAPEM).
        #[arg(long = "type", default_value = "MessageFrame", value_parser = clap::builder::PossibleValuesParser::new(roadsight::v2x::TYPE_NAMES))]
        type_name: String,
        /// Also print each message converted to SI units (m, s, m/s, rad, WGS84 degrees).
        #[arg(long)]
        si: bool,
        /// One JSON object per line (for scripts) instead of pretty-printed JSON.
        #[arg(long)]
        compact: bool,
    },
}

fn load(path: Option<&std::path::Path>) -> anyhow::Result<(Scenario, String)> {
    Ok(match path {
        Some(p) => (Scenario::load(p)?, p.display().to_string()),
        None => (
            Scenario::default_scenario()?,
            "default (scenarios/default.toml)".into(),
        ),
    })
}

async fn shutdown_signal(stop_after: Option<f64>) {
    let after = async {
        match stop_after {
            Some(s) if s.is_finite() && s >= 0.0 => {
                tokio::time::sleep(std::time::Duration::from_secs_f64(s)).await
            }
            _ => std::future::pending().await,
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
        _ = after => {}
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::MapFromSumo {
            net,
            junction,
            clip_m,
        } => {
            use roadsight::map::sumo;
            let opts = sumo::ImportOptions {
                clip_length_m: clip_m,
                anchor: None,
            };
            let m = roadsight::scenario::import_sumo_junction(&net, &junction, &opts)?;
            std::io::stdout().write_all(m.to_toml()?.as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::ImportSumo {
            config,
            junction,
            out,
            begin,
            end,
            radius_m,
            anchor,
            sumo,
            seed,
        } => {
            use roadsight::scenario::sumo;
            let anchor = anchor
                .map(|a| {
                    let (lat, lon) = a
                        .split_once(',')
                        .context("--anchor wants LAT,LON in degrees")?;
                    let p = roadsight::geo::GeoPoint::new(
                        lat.trim().parse().context("--anchor latitude")?,
                        lon.trim().parse().context("--anchor longitude")?,
                        None,
                    );
                    anyhow::ensure!(p.is_valid(), "--anchor {a}: not a WGS84 position");
                    Ok(p)
                })
                .transpose()?;
            let opts = sumo::ImportOptions {
                begin_s: begin,
                end_s: end,
                radius_m,
                anchor,
                sumo,
                seed,
                ..sumo::ImportOptions::new(config, junction)
            };
            let imported = sumo::import(&opts)?;
            std::fs::write(&out, &imported.toml)
                .with_context(|| format!("writing {}", out.display()))?;
            let users: Vec<String> = imported
                .counts
                .iter()
                .map(|(k, n)| format!("{n} {k}"))
                .collect();
            eprintln!(
                "wrote {} ({:.0} s, {}; {} sensors)",
                out.display(),
                imported.scenario.run.duration_s,
                users.join(", "),
                imported.scenario.sensors.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Run {
            scenario,
            pcap,
            udp,
            events,
            export,
            record,
            json,
            snapshot,
            at,
            #[cfg(feature = "viz")]
            rerun,
        } => {
            let (s, name) = load(scenario.as_deref())?;
            let record = match record {
                Some(file) => Some(roadsight::record::RecordRequest {
                    target: roadsight::record::RecordTarget::File(file),
                    config_toml: match &scenario {
                        Some(p) => std::fs::read_to_string(p)
                            .with_context(|| format!("{}", p.display()))?,
                        None => roadsight::scenario::DEFAULT.to_string(),
                    },
                }),
                None => None,
            };
            let opts = roadsight::replay::RunOptions {
                pcap,
                udp,
                event_log: events,
                export,
                record,
            };
            #[cfg(feature = "viz")]
            if let Some(dest) = rerun.destination() {
                let r = roadsight::viz::rerun::record(&s, &name, &opts, &dest)?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&r.summary)?);
                } else {
                    print!("{}", r.summary);
                }
                let c = &r.counts;
                eprintln!(
                    "rerun         {dest}: {} world updates, {} tracks, {} road users, {} hazards, {} events",
                    c.world_updates,
                    c.tracks.len(),
                    c.truth.len(),
                    c.hazards.len(),
                    c.events
                );
                if let Some(e) = r.first_error {
                    eprintln!(
                        "rerun         {} log calls failed, first: {e}",
                        r.log_errors
                    );
                }
                return Ok(ExitCode::SUCCESS);
            }
            let summary = match snapshot {
                None => roadsight::replay::run(&s, &name, &opts)?,
                Some(path) => {
                    use roadsight::viz::{svg, SnapshotTap};
                    let at = at.unwrap_or(s.run.duration_s / 2.0);
                    anyhow::ensure!(
                        at.is_finite() && at >= 0.0 && at < s.run.duration_s,
                        "--at {at}: not within the scenario's 0..{} s",
                        s.run.duration_s
                    );
                    let mut tap = SnapshotTap::new(at);
                    let summary = roadsight::replay::run_tapped(&s, &name, &opts, Some(&mut tap))?;
                    let scene = tap
                        .scene()
                        .with_context(|| format!("no world-model update at or after {at} s"))?;
                    let picture = svg::render(&s, scene, &name, &svg::SvgOptions::default());
                    std::fs::write(&path, picture)
                        .with_context(|| format!("writing {}", path.display()))?;
                    summary
                }
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&summary)?);
            } else {
                print!("{summary}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Replay {
            logs,
            out,
            realtime,
            speed,
            from,
            to,
            config,
            json,
        } => {
            use roadsight::replay::log::{Pace, ReplayOptions};
            let config = match config {
                Some(p) => Some((
                    std::fs::read_to_string(&p).with_context(|| format!("{}", p.display()))?,
                    p,
                )),
                None => None,
            };
            let pace = match (realtime, speed) {
                (true, _) => Pace::Speed(1.0),
                (false, Some(x)) => {
                    anyhow::ensure!(x.is_finite() && x > 0.0, "--speed {x}: must be above 0");
                    Pace::Speed(x)
                }
                (false, None) => Pace::Fast,
            };
            let opts = ReplayOptions {
                out,
                pace,
                from_s: from,
                to_s: to,
                config,
            };
            let log = roadsight::record::read::Log::open(&logs)?;
            // A progress bar on a terminal only, so scripts and logs stay clean.
            let bar = std::io::IsTerminal::is_terminal(&std::io::stderr()).then(|| {
                let b = indicatif::ProgressBar::new(1000);
                b.set_style(
                    indicatif::ProgressStyle::with_template(
                        "{bar:40} {percent:>3}% {msg} ({elapsed} elapsed, {eta} left)",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                b
            });
            let mut progress = |done: f64, total: f64| {
                if let Some(b) = &bar {
                    b.set_position((done / total.max(1e-9) * 1000.0).clamp(0.0, 1000.0) as u64);
                    b.set_message(format!("{done:.0} of {total:.0} s"));
                }
            };
            let summary = roadsight::replay::log::replay(&log, &opts, &mut progress)?;
            if let Some(b) = bar {
                b.finish_and_clear();
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&summary)?);
            } else {
                print!("{summary}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Diff {
            a,
            b,
            threshold_m,
            json,
        } => {
            use roadsight::record::read::Log;
            let (la, lb) = (Log::open(&[a])?, Log::open(&[b])?);
            let opts = roadsight::replay::diff::DiffOptions {
                position_threshold_m: threshold_m,
            };
            let report = roadsight::replay::diff::diff(&la, &lb, &opts);
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{report}");
            }
            Ok(if report.equal {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Eval { scenario, json } => {
            let (s, name) = load(scenario.as_deref())?;
            let summary =
                roadsight::replay::run(&s, &name, &roadsight::replay::RunOptions::default())?;
            let m = &summary.metrics;
            if json {
                let mut v = serde_json::to_value(m)?;
                if let Some(o) = v.as_object_mut() {
                    o.insert("hazards".into(), serde_json::to_value(&summary.hazards)?);
                }
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                let f = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.3}"));
                println!("scenario          {name}");
                println!(
                    "frames            {} (every RSM cycle), {} road users in view",
                    m.frames, m.truth_objects
                );
                println!(
                    "GOSPA             {} (p = {}, c = {} m, α = {}; localisation {}, missed {}, false {})",
                    f(m.gospa),
                    m.gospa_p,
                    m.gospa_c_m,
                    m.gospa_alpha,
                    f(m.gospa_localisation),
                    f(m.gospa_missed),
                    f(m.gospa_false)
                );
                println!(
                    "MOTA              {}   MOTP {} m   IDF1 {}   ID switches {} ({} while in view)",
                    f(m.mota),
                    f(m.motp_m),
                    f(m.idf1),
                    m.id_switches,
                    m.id_switches_in_view
                );
                println!(
                    "matches           {}   misses {}   false positives {}",
                    m.matches, m.misses, m.false_positives
                );
                println!(
                    "position RMSE     {} m   speed RMSE {} m/s",
                    f(m.position_rmse_m),
                    f(m.speed_rmse_mps)
                );
                println!(
                    "tracked           {} of road users (matched in ≥ {:.0} % of their frames)",
                    f(m.tracked_fraction),
                    m.tracked_min_fraction * 100.0
                );
                for (class, c) in &m.by_class {
                    println!(
                        "  {class:<12} {:>4} road users   position RMSE {} m   speed RMSE {} m/s   tracked {}",
                        c.truth_objects,
                        f(c.position_rmse_m),
                        f(c.speed_rmse_mps),
                        f(c.tracked_fraction)
                    );
                }
                if !summary.hazards.is_empty() {
                    println!("hazards           labelled  detected  false/h  lead min / median  latency median  warnings");
                }
                for (kind, h) in &summary.hazards {
                    let s = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.1} s"));
                    println!(
                        "  {:<24} {:>3} {:>9} {:>8.1}  {:>8} / {:<8} {:>10} {:>9}",
                        kind.name(),
                        h.labelled,
                        h.detected,
                        h.false_warnings_per_hour,
                        s(h.lead_time_min_s),
                        s(h.lead_time_median_s),
                        s(h.latency_median_s),
                        h.warnings
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve {
            config,
            udp,
            pcap,
            events,
            stop_after,
            simulate,
            metrics,
            record,
        } => {
            let mut s = Scenario::load(&config)?;
            if metrics.is_some() {
                s.metrics.listen = metrics;
            }
            for l in &s.links.rsu {
                eprintln!(
                    "roadsight: link {:?}: RSU at udp://{} ({:?})",
                    l.name, l.address, l.format
                );
            }
            let text = std::fs::read_to_string(&config)
                .with_context(|| format!("{}", config.display()))?;
            let record = roadsight::record::RecordRequest::for_service(&s, &text, record);
            let inputs = if simulate {
                roadsight::service::Inputs::Simulated
            } else {
                let live = roadsight::service::LiveInputs::bind(&s)?;
                anyhow::ensure!(
                    !live.is_empty(),
                    "{}: no sensor has a `listen` address; give one, or use --simulate",
                    config.display()
                );
                if let Some(a) = live.metrics_addr() {
                    eprintln!("roadsight: metrics on http://{a}/metrics and /healthz");
                }
                for (i, addr) in live.addrs() {
                    eprintln!(
                        "roadsight: sensor {:?} on udp://{addr}",
                        s.sensors[usize::from(i)].id
                    );
                }
                roadsight::service::Inputs::Live(live)
            };
            let opts = roadsight::service::ServeOptions {
                udp,
                pcap,
                event_log: events,
                export: None,
                record,
            };
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            eprintln!(
                "roadsight: serving {} (stop with Ctrl-C or SIGTERM)",
                config.display()
            );
            let summary = rt.block_on(roadsight::service::serve(
                &s,
                &opts,
                inputs,
                Some(&config),
                shutdown_signal(stop_after),
            ))?;
            let by_type: Vec<String> = summary
                .stats
                .messages
                .iter()
                .map(|(k, n)| format!("{} {n}", k.name()))
                .collect();
            eprintln!(
                "roadsight: stopped after {:.1} s: {}; {} datagrams sent, {} send errors",
                summary.ran_s,
                by_type.join(", "),
                summary.udp_sent,
                summary.udp_errors
            );
            let st = &summary.stats;
            eprintln!(
                "roadsight: inputs: {} datagrams ({} dropped), {} frames, {} detections, {} malformed, {} detections refused, {} tracks confirmed",
                summary.datagrams_in,
                summary.datagrams_dropped,
                st.frames,
                st.detections,
                st.malformed_datagrams.values().sum::<u64>(),
                st.rejected_detections.values().sum::<u64>(),
                st.tracks_confirmed
            );
            for l in &summary.links {
                let sent: u64 = l.messages.values().map(|c| c.sent).sum();
                let dropped: u64 = l.messages.values().map(|c| c.dropped).sum();
                let errors: u64 = l.messages.values().map(|c| c.errors).sum();
                eprintln!(
                    "roadsight: link {:?}: {sent} sent, {dropped} dropped, {errors} send errors{}",
                    l.name,
                    l.last_error
                        .as_deref()
                        .map(|e| format!(" (last: {e})"))
                        .unwrap_or_default()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Simulate {
            scenario,
            to,
            from,
            stop_after,
        } => {
            let s = match &scenario {
                Some(p) => Scenario::load(p)?,
                None => Scenario::default_scenario()?,
            };
            let mut targets: Vec<Option<SocketAddr>> = s.sensors.iter().map(|x| x.listen).collect();
            for t in &to {
                let (n, addr) = t
                    .split_once('=')
                    .with_context(|| format!("--to {t:?}: expected N=ADDR"))?;
                let n: usize = n
                    .parse()
                    .with_context(|| format!("--to {t:?}: sensor index"))?;
                let addr: SocketAddr = addr
                    .parse()
                    .with_context(|| format!("--to {t:?}: address"))?;
                let slot = targets
                    .get_mut(n)
                    .with_context(|| format!("--to {t:?}: no sensor {n}"))?;
                *slot = Some(addr);
            }
            anyhow::ensure!(
                targets.iter().any(Option::is_some),
                "no sensor has a `listen` address to send to; give one, or use --to N=ADDR"
            );
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let summary = rt.block_on(roadsight::service::simulate(
                &s,
                &targets,
                from,
                shutdown_signal(stop_after),
            ))?;
            eprintln!(
                "roadsight: simulated {:.1} s: {} frames in {} datagrams, {} send errors",
                summary.ran_s, summary.frames, summary.datagrams, summary.send_errors
            );
            Ok(ExitCode::SUCCESS)
        }
        #[cfg(feature = "quic")]
        Command::Subscribe {
            server,
            ca,
            cert,
            key,
            types,
            near,
            radius_m,
            count,
            server_name,
            decode,
        } => {
            use roadsight::link::quic::{client, ClientOptions, SubscribeRequest, Subscriber};
            let near = near
                .map(|n| roadsight::link::quic::wire::parse_lat_lon(&n))
                .transpose()
                .context("--near")?;
            let request = SubscribeRequest {
                types,
                near,
                radius_m,
            };
            let sub = request.check().context("subscription")?;
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let n = rt.block_on(async {
                let addr = tokio::net::lookup_host(&server)
                    .await
                    .with_context(|| format!("--server {server}"))?
                    .next()
                    .with_context(|| format!("--server {server}: no address"))?;
                let mut opts = ClientOptions::new(addr, ca);
                opts.identity = Some((cert, key));
                opts.server_name = server_name.unwrap_or_else(|| {
                    server
                        .rsplit_once(':')
                        .map_or(server.as_str(), |(h, _)| h)
                        .trim_matches(['[', ']'])
                        .to_string()
                });
                let mut sub = Subscriber::connect(&opts, &sub).await?;
                let stdout = std::io::stdout();
                let mut out = stdout.lock();
                let n = client::print_messages(
                    &mut sub,
                    &client::PrintOptions { count, decode },
                    &mut out,
                    &mut std::io::stderr(),
                )
                .await?;
                sub.close();
                anyhow::Ok(n)
            })?;
            eprintln!("roadsight: {n} messages");
            Ok(ExitCode::SUCCESS)
        }
        Command::Decode {
            inputs,
            type_name,
            si,
            compact,
        } => {
            let inputs: Vec<_> = inputs.iter().map(|a| inspect::Input::from_arg(a)).collect();
            let opts = inspect::Options {
                type_name,
                si,
                compact,
            };
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            let mut err = std::io::stderr();
            let summary = inspect::decode(&inputs, &opts, &mut out, &mut err).context("decode")?;
            out.flush()?;
            if summary.decoded + summary.failed > 1 || summary.skipped > 0 {
                eprintln!(
                    "{} decoded, {} failed, {} packets skipped (not UDP)",
                    summary.decoded, summary.failed, summary.skipped
                );
            }
            Ok(if summary.failed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            // A closed pipe (`roadsight decode … | head`) is not an error.
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            eprintln!("roadsight: {e:#}");
            ExitCode::from(2)
        }
    }
}
