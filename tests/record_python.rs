//! Other tools read our logs: the reference Python MCAP reader (PyPI `mcap`, pinned in
//! tools/requirements.txt) opens a recorded run and finds every channel with its schema,
//! the site configuration and our metadata, and the same message counts as our reader.

mod common;

use roadsight::record::read::Log;
use roadsight::record::{RecordRequest, RecordTarget};
use roadsight::replay::{run, RunOptions};
use roadsight::scenario::Scenario;
use std::collections::BTreeMap;

#[test]
fn the_python_mcap_reader_reads_a_recorded_run() {
    let mut s = Scenario::default_scenario().expect("default scenario");
    s.run.duration_s = 20.0;
    let path = std::env::temp_dir().join(format!("roadsight-py-{}.mcap", std::process::id()));
    let opts = RunOptions {
        record: Some(RecordRequest {
            target: RecordTarget::File(path.clone()),
            config_toml: roadsight::scenario::DEFAULT.to_string(),
        }),
        ..Default::default()
    };
    run(&s, "default", &opts).expect("recorded run");
    let (code, out, err) =
        common::run_tool("check_mcap.py", &[path.to_str().expect("utf-8 path")], "");
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON from check_mcap.py");
    assert_eq!(v["profile"], "roadsight");
    assert_eq!(v["attachments"], serde_json::json!(["site.toml"]));
    assert_eq!(v["metadata"]["roadsight"]["source"], "run");
    assert_eq!(v["metadata"]["roadsight"]["format_version"], "1");

    let log = Log::open(&[path]).expect("our reader");
    let mut ours: BTreeMap<String, u64> = BTreeMap::new();
    for e in &log.entries {
        *ours.entry(e.topic.name()).or_default() += 1;
    }
    let channels = v["channels"].as_object().expect("channels");
    let theirs: BTreeMap<String, u64> = channels
        .iter()
        .map(|(k, c)| (k.clone(), c["count"].as_u64().expect("count")))
        .collect();
    assert_eq!(theirs, ours);
    for topic in [
        "/input/sensor/0",
        "/input/sensor/3",
        "/input/timeout",
        "/v2x/rsm",
        "/v2x/spat",
        "/v2x/map",
        "/events",
        "/tracks",
    ] {
        assert!(channels.contains_key(topic), "no {topic} in {channels:?}");
    }
    for (topic, c) in channels {
        if c["message_encoding"] == "json" {
            assert_eq!(c["schema_encoding"], "jsonschema", "{topic}");
            assert_eq!(c["schema_is_json_object"], true, "{topic}");
            assert_eq!(c["json_ok"], c["count"], "{topic}: every message is JSON");
        } else {
            assert!(
                c["schema_name"].as_str().is_some_and(|n| !n.is_empty()),
                "{topic}: a named schema"
            );
        }
    }
    assert_eq!(channels["/v2x/rsm"]["schema_name"], "YDT3709.MessageFrame");
    assert_eq!(
        channels["/input/sensor/0"]["metadata"]["sensor_id"],
        s.sensors[0].id
    );
}
