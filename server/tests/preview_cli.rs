//! `ferry preview`: JSON lines in, one JSON line out per input, by the same rules as the
//! composer and the dispatcher.

use std::io::Write;
use std::process::{Command, Stdio};

fn preview(input: &str) -> Vec<serde_json::Value> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .arg("preview")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn ferry preview");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("output");
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("each output line is JSON"))
        .collect()
}

#[test]
fn one_json_line_out_per_line_in_with_the_spec_counts() {
    let gsm_161 = "x".repeat(161);
    let input = format!(
        concat!(
            "{{\"route\":\"HK\",\"text\":\"Hello\"}}\n",
            "{{\"route\":\"HK\",\"text\":\"a\\nb\"}}\n",
            "{{\"route\":\"HK\",\"text\":\"{{}}\"}}\n",
            "{{\"route\":\"HK\",\"text\":\"{}\"}}\n",
            "{{\"route\":\"CN\",\"text\":\"你好\"}}\n",
            "{{\"route\":\"HK\",\"text\":\"{}\"}}\n",
            "not json\n"
        ),
        gsm_161,
        "y".repeat(460)
    );
    let out = preview(&input);
    assert_eq!(out.len(), 7);
    assert_eq!(out[0]["encoding"], "GSM7");
    assert_eq!(out[0]["units"], 5);
    assert_eq!(out[0]["parts"], 1);
    assert_eq!(out[0]["error"], serde_json::Value::Null);
    assert_eq!(out[1]["units"], 4, "a line break counts 2");
    assert_eq!(out[2]["units"], 4, "extension characters count 2");
    assert_eq!(out[3]["parts"], 2);
    assert_eq!(out[4]["encoding"], "UCS2");
    assert_eq!(out[4]["units"], 2, "before any China signature");
    assert_eq!(out[5]["parts"], serde_json::Value::Null);
    assert!(out[5]["error"]
        .as_str()
        .is_some_and(|e| e.contains("too long")));
    assert!(out[6]["error"]
        .as_str()
        .is_some_and(|e| e.contains("invalid input")));
}
