//! A scenario from a SUMO simulation (`roadsight import-sumo`): runs `sumo` headless on a
//! `.sumocfg` with floating-car data and the junction's traffic-light states as outputs,
//! then builds a scenario that `run` and `eval` accept: the junction's map (the
//! [`crate::map::sumo`] importer), its signal plan as an actuated plan with the recorded
//! timeline ([`tls`]), every vehicle, bicycle and pedestrian that comes near it as ground
//! truth ([`fcd`]), and a default sensor layout to edit ([`layout`]).
//!
//! SUMO is only run; everything it writes is parsed here, streaming ([`xml`]), so long
//! simulations do not need their FCD in memory. The simulation runs from its configured
//! begin, so the network is already filled at the scenario's `begin_s`.

pub mod fcd;
pub mod layout;
pub mod tls;
pub mod xml;

use crate::geo::{Enu, GeoPoint};
use crate::map::sumo::{ImportOptions as MapOptions, ImportedMap, SumoError};
use crate::scenario::{Output, Rates, Run, Scenario, ScenarioError, SignalPlan, Site};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Why a SUMO import failed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{file}: {reason}")]
    Config { file: PathBuf, reason: String },
    #[error(transparent)]
    Network(#[from] SumoError),
    #[error(
        "the SUMO simulator was not found (tried {tried}); install it with `pip install \
         eclipse-sumo` (tools/requirements.txt), set SUMO_HOME, or pass --sumo PATH"
    )]
    SumoNotFound { tried: String },
    #[error("{binary} failed ({status}): {stderr}")]
    SumoFailed {
        binary: PathBuf,
        status: String,
        stderr: String,
    },
    #[error("{file}:{line}: {reason}")]
    Output {
        file: PathBuf,
        line: usize,
        reason: String,
    },
    #[error("{file}: {source}")]
    Io {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("junction {junction:?}: {reason}")]
    Junction { junction: String, reason: String },
    #[error("the scenario built from SUMO does not load (a bug in the importer)")]
    Scenario(#[from] ScenarioError),
}

/// What to import and how.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The SUMO configuration (`.sumocfg`).
    pub config: PathBuf,
    /// The signalised junction at the site's centre.
    pub junction: String,
    /// Scenario window in simulation seconds; default the configuration's begin and end
    /// (or the end of the simulation).
    pub begin_s: Option<f64>,
    pub end_s: Option<f64>,
    /// Road users are kept within this distance of the junction, and lanes this long.
    pub radius_m: f64,
    /// The WGS84 position of the junction, for a network without a geo-reference.
    pub anchor: Option<GeoPoint>,
    /// The `sumo` binary; default `$SUMO_HOME/bin/sumo`, then `sumo` on the PATH, then the
    /// Python package `eclipse-sumo`'s.
    pub sumo: Option<PathBuf>,
    /// Scenario start time (RFC 3339 UTC) and seed.
    pub start_time: String,
    pub seed: u64,
}

impl ImportOptions {
    pub fn new(config: impl Into<PathBuf>, junction: impl Into<String>) -> Self {
        Self {
            config: config.into(),
            junction: junction.into(),
            begin_s: None,
            end_s: None,
            radius_m: 120.0,
            anchor: None,
            sumo: None,
            start_time: "2026-01-01T08:00:00Z".into(),
            seed: 1,
        }
    }
}

/// An imported scenario and what went into it.
#[derive(Debug, Clone)]
pub struct Imported {
    pub scenario: Scenario,
    /// The scenario file's text (with a header saying where it came from).
    pub toml: String,
    /// Road users per class.
    pub counts: BTreeMap<String, usize>,
}

/// The parts of a `.sumocfg` the importer needs, paths resolved against its folder.
#[derive(Debug, Clone)]
pub struct SumoConfig {
    pub path: PathBuf,
    pub net: PathBuf,
    pub routes: Vec<PathBuf>,
    pub additional: Vec<PathBuf>,
    pub begin_s: f64,
    pub end_s: Option<f64>,
}

impl SumoConfig {
    pub fn load(path: &Path) -> Result<Self, ImportError> {
        let bad = |reason: String| ImportError::Config {
            file: path.to_path_buf(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|source| ImportError::Io {
            file: path.to_path_buf(),
            source,
        })?;
        let doc = roxmltree::Document::parse(&text)
            .map_err(|e| bad(format!("not a readable XML document: {e}")))?;
        let value = |key: &str| {
            doc.descendants()
                .find(|n| n.has_tag_name(key))
                .and_then(|n| n.attribute("value"))
        };
        let dir = path.parent().unwrap_or(Path::new("."));
        let files = |key: &str| -> Vec<PathBuf> {
            value(key)
                .map(|v| {
                    v.split([',', ' '])
                        .filter(|s| !s.is_empty())
                        .map(|s| dir.join(s))
                        .collect()
                })
                .unwrap_or_default()
        };
        let time = |key: &str| -> Result<Option<f64>, ImportError> {
            value(key)
                .map(|v| {
                    v.trim()
                        .parse::<f64>()
                        .ok()
                        .filter(|x| x.is_finite())
                        .ok_or_else(|| bad(format!("<{key} value={v:?}> is not a time in seconds")))
                })
                .transpose()
        };
        let net = files("net-file")
            .into_iter()
            .next()
            .ok_or_else(|| bad("names no <net-file>".into()))?;
        Ok(Self {
            path: path.to_path_buf(),
            net,
            routes: files("route-files"),
            additional: files("additional-files"),
            begin_s: time("begin")?.unwrap_or(0.0),
            end_s: time("end")?.filter(|e| *e >= 0.0),
        })
    }
}

/// The `sumo` binary to run.
pub fn find_sumo(explicit: Option<&Path>) -> Result<PathBuf, ImportError> {
    let mut tried = Vec::new();
    let works = |p: &Path| {
        Command::new(p)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if let Some(p) = explicit {
        if works(p) {
            return Ok(p.to_path_buf());
        }
        return Err(ImportError::SumoNotFound {
            tried: p.display().to_string(),
        });
    }
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(home) = std::env::var_os("SUMO_HOME") {
        candidates.push(Path::new(&home).join("bin/sumo"));
    }
    candidates.push(PathBuf::from("sumo"));
    for c in candidates {
        if works(&c) {
            return Ok(c);
        }
        tried.push(c.display().to_string());
    }
    // The Python wheel knows where its binary is.
    if let Ok(o) = Command::new("python3")
        .args(["-c", "import sumo; print(sumo.SUMO_HOME)"])
        .output()
    {
        if o.status.success() {
            let home = String::from_utf8_lossy(&o.stdout).trim().to_string();
            let p = Path::new(&home).join("bin/sumo");
            if works(&p) {
                return Ok(p);
            }
            tried.push(p.display().to_string());
        }
    }
    tried.push("python3 -c 'import sumo'".into());
    Err(ImportError::SumoNotFound {
        tried: tried.join(", "),
    })
}

/// The files a SUMO run wrote.
#[derive(Debug, Clone)]
pub struct SumoOutputs {
    pub fcd: PathBuf,
    pub tls: PathBuf,
}

/// A scratch folder that is removed when dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs SUMO headless on `cfg` up to `end_s`, recording FCD and the states of traffic light
/// `tls_id` (if the junction has one) into `dir`.
pub fn run_sumo(
    binary: &Path,
    cfg: &SumoConfig,
    tls_id: Option<&str>,
    end_s: Option<f64>,
    dir: &Path,
) -> Result<SumoOutputs, ImportError> {
    let abs = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let out = SumoOutputs {
        fcd: dir.join("fcd.xml"),
        tls: dir.join("tls.xml"),
    };
    let add = dir.join("roadsight-tls.add.xml");
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('"', "&quot;")
            .replace('<', "&lt;")
    };
    // On the command line, --additional-files replaces the configuration's list: keep it.
    let mut adds: Vec<String> = cfg
        .additional
        .iter()
        .map(|p| abs(p).display().to_string())
        .collect();
    if let Some(tls_id) = tls_id {
        std::fs::write(
            &add,
            format!(
                "<additional>\n  <timedEvent type=\"SaveTLSStates\" source=\"{}\" dest=\"{}\"/>\n</additional>\n",
                esc(tls_id),
                esc(&out.tls.display().to_string())
            ),
        )
        .map_err(|source| ImportError::Io {
            file: add.clone(),
            source,
        })?;
        adds.push(add.display().to_string());
    }
    let mut cmd = Command::new(binary);
    cmd.arg("-c")
        .arg(abs(&cfg.path))
        .arg("--fcd-output")
        .arg(&out.fcd)
        .args(["--no-step-log", "true", "--duration-log.disable", "true"]);
    // SUMO refuses an empty list.
    if !adds.is_empty() {
        cmd.arg("--additional-files").arg(adds.join(","));
    }
    if let Some(e) = end_s {
        cmd.arg("--end").arg(format!("{e}"));
    }
    let o = cmd.output().map_err(|source| ImportError::Io {
        file: binary.to_path_buf(),
        source,
    })?;
    if !o.status.success() {
        let err = String::from_utf8_lossy(&o.stderr);
        let tail: Vec<&str> = err.lines().rev().take(8).collect();
        return Err(ImportError::SumoFailed {
            binary: binary.to_path_buf(),
            status: o.status.to_string(),
            stderr: tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
        });
    }
    Ok(out)
}

/// Imports: runs SUMO, then [`build`].
pub fn import(opts: &ImportOptions) -> Result<Imported, ImportError> {
    let cfg = SumoConfig::load(&opts.config)?;
    let map = import_map(&cfg, opts)?;
    let binary = find_sumo(opts.sumo.as_deref())?;
    static RUN: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "roadsight-sumo-{}-{}",
        std::process::id(),
        RUN.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).map_err(|source| ImportError::Io {
        file: dir.clone(),
        source,
    })?;
    let scratch = Scratch(dir);
    let outputs = run_sumo(
        &binary,
        &cfg,
        map.tls_id.as_deref(),
        opts.end_s.or(cfg.end_s),
        &scratch.0,
    )?;
    build(&cfg, &map, &outputs, opts)
}

/// The junction's map from the configuration's network.
pub fn import_map(cfg: &SumoConfig, opts: &ImportOptions) -> Result<ImportedMap, ImportError> {
    let m = crate::scenario::import_sumo_junction(
        &cfg.net,
        &opts.junction,
        &MapOptions {
            clip_length_m: opts.radius_m,
            anchor: opts.anchor,
        },
    )?;
    Ok(m)
}

/// Builds the scenario from a SUMO run's outputs.
pub fn build(
    cfg: &SumoConfig,
    map: &ImportedMap,
    outputs: &SumoOutputs,
    opts: &ImportOptions,
) -> Result<Imported, ImportError> {
    let mut types = fcd::builtin_types();
    for p in cfg.routes.iter().chain(&cfg.additional) {
        fcd::read_types(open(p)?, &mut types).map_err(|f| fault(p, f))?;
    }
    let begin_s = opts.begin_s.unwrap_or(cfg.begin_s);
    let end_s = opts.end_s.or(cfg.end_s).unwrap_or(f64::INFINITY);
    if end_s <= begin_s {
        return Err(ImportError::Config {
            file: cfg.path.clone(),
            reason: format!("the end ({end_s} s) is not after the begin ({begin_s} s)"),
        });
    }
    let to_site = |p: [f64; 2]| map.net_to_site.to_site(p);
    let window = fcd::FcdWindow {
        begin_s,
        end_s,
        radius_m: opts.radius_m,
        to_site: &to_site,
        types: &types,
    };
    let data = fcd::read_fcd(open(&outputs.fcd)?, &window).map_err(|f| fault(&outputs.fcd, f))?;
    let last = data.last_time_s.unwrap_or(begin_s);
    let duration_s = (end_s.min(last) - begin_s).max(0.0);
    if duration_s <= 0.0 {
        return Err(ImportError::Config {
            file: cfg.path.clone(),
            reason: format!(
                "the simulation ended at {last} s, not after the scenario begin {begin_s} s"
            ),
        });
    }
    let step_s = data.step_s.unwrap_or(1.0);
    let mut road_users = Vec::new();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for ((kind, id), s) in &data.users {
        let vt = types
            .get(&s.type_id)
            .copied()
            .unwrap_or(types["DEFAULT_PEDTYPE"]);
        for u in fcd::road_users(kind, id, s, vt, step_s) {
            *counts
                .entry(format!("{:?}", u.class).to_lowercase())
                .or_default() += 1;
            road_users.push(u);
        }
    }
    road_users.sort_by(|a, b| a.start_s.total_cmp(&b.start_s).then(a.id.cmp(&b.id)));
    if road_users.is_empty() {
        return Err(ImportError::Junction {
            junction: opts.junction.clone(),
            reason: format!(
                "no road user came within {} m of it between {begin_s} s and {} s",
                opts.radius_m,
                begin_s + duration_s
            ),
        });
    }

    let signal = match &map.tls_id {
        Some(tls_id) => Some(recorded_plan(
            map, tls_id, outputs, opts, begin_s, duration_s,
        )?),
        None => None,
    };

    let sensors = layout::default_sensors(&map.map);
    let rsu = sensors.first().map_or(Enu::default(), |s| s.position);
    let anchor = map.anchor.or(opts.anchor).unwrap_or(
        // A placeholder for a network without a geo-reference (said in the header).
        GeoPoint::new(0.0, 0.0, None),
    );
    let stem = cfg
        .path
        .file_stem()
        .map(|s| s.to_string_lossy().trim_end_matches(".sumocfg").to_string())
        .unwrap_or_default();
    let scenario = Scenario {
        version: 1,
        site: Site {
            name: format!("SUMO {stem}, junction {}", opts.junction),
            anchor,
            region: 0,
            intersection_id: 1,
            rsu_id: "RSU00001".into(),
            rsu_position: rsu,
            station_id: None,
        },
        run: Run {
            duration_s: (duration_s * 1000.0).round() / 1000.0,
            start_time: opts.start_time.clone(),
            seed: opts.seed,
        },
        messages: Rates::default(),
        output: Output::default(),
        map: map.map.clone(),
        signal,
        sensors,
        road_users,
        hazards: Default::default(),
        conflicts: vec![],
        links: Default::default(),
        metrics: Default::default(),
        tcc: None,
        quic: None,
        record: None,
    };
    let toml = to_toml(&scenario, map, cfg, begin_s, duration_s, &counts)?;
    // What is written must load: every check the service applies.
    let scenario = Scenario::parse(&toml, Path::new("(imported from SUMO)"))?;
    Ok(Imported {
        scenario,
        toml,
        counts,
    })
}

fn to_toml(
    s: &Scenario,
    map: &ImportedMap,
    cfg: &SumoConfig,
    begin_s: f64,
    duration_s: f64,
    counts: &BTreeMap<String, usize>,
) -> Result<String, ImportError> {
    let mut v = toml::Value::try_from(s).map_err(|e| ImportError::Config {
        file: cfg.path.clone(),
        reason: format!("cannot write the scenario: {e}"),
    })?;
    // The hazard thresholds stay the service's defaults unless the user sets them.
    if let Some(t) = v.as_table_mut() {
        t.remove("hazards");
        t.remove("conflicts");
    }
    let body = toml::to_string(&v).map_err(|e| ImportError::Config {
        file: cfg.path.clone(),
        reason: format!("cannot write the scenario: {e}"),
    })?;
    let name = |p: &Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default()
    };
    let light = match &map.tls_id {
        Some(tl) => format!("traffic light {tl:?}"),
        None => "no traffic light".to_string(),
    };
    let mut h = String::new();
    h.push_str(&format!(
        "# Imported by `roadsight import-sumo` from {} (network {}), junction {:?} \
         ({light}),\n# simulation time {begin_s} s to {} s.\n",
        name(&cfg.path),
        name(&cfg.net),
        map.junction_id,
        begin_s + duration_s
    ));
    h.push_str("# Road users:");
    for (k, n) in counts {
        h.push_str(&format!(" {n} {k}"));
    }
    h.push_str(
        ".\n# The sensors are a default layout (a camera and a radar per corner): edit them.\n",
    );
    if map.anchor.is_none() {
        h.push_str(
            "# The network has no geo-reference: site.anchor is a placeholder (or --anchor); set it.\n",
        );
    }
    h.push_str("# SUMO lane → lane ID:");
    for (k, id) in &map.lane_ids {
        h.push_str(&format!(" {k}={id}"));
    }
    h.push_str("\n\n");
    Ok(h + &body)
}

/// The plan of what traffic light `tls_id` did from `begin_s` for `duration_s`, as SUMO
/// recorded it.
fn recorded_plan(
    map: &ImportedMap,
    tls_id: &str,
    outputs: &SumoOutputs,
    opts: &ImportOptions,
    begin_s: f64,
    duration_s: f64,
) -> Result<SignalPlan, ImportError> {
    let tls_file = open(&outputs.tls)?;
    let states = tls::read_states(tls_file, tls_id).map_err(|f| fault(&outputs.tls, f))?;
    // The state in force at the begin, and every change up to the end.
    let first = states
        .partition_point(|(t, _)| *t <= begin_s)
        .saturating_sub(1);
    let states: Vec<(f64, String)> = states[first..]
        .iter()
        .filter(|(t, _)| *t <= begin_s + duration_s)
        .cloned()
        .collect();
    let mut signal =
        tls::actuated_plan(&states, &map.signal_groups, begin_s).map_err(|reason| {
            ImportError::Junction {
                junction: opts.junction.clone(),
                reason: format!("traffic light {tls_id:?}: {reason}"),
            }
        })?;
    if let Some(program) = &map.signal {
        tls::hold_steady(&mut signal, program);
    }
    Ok(signal)
}

fn open(p: &Path) -> Result<impl std::io::BufRead, ImportError> {
    xml::open(p).map_err(|source| ImportError::Io {
        file: p.to_path_buf(),
        source,
    })
}

fn fault(p: &Path, f: xml::XmlFault) -> ImportError {
    ImportError::Output {
        file: p.to_path_buf(),
        line: f.line,
        reason: f.reason,
    }
}
