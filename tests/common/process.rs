//! Helper servers the tests start on loopback (a Mosquitto broker, a rerun viewer saving to a
//! file): a free port, waiting until the server listens, and stopping it with a signal so
//! that it saves what it holds.
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    l.local_addr().expect("local addr").port()
}

/// Waits until `child` accepts TCP connections on `port`; panics with `log()` if it exits
/// first or takes longer than `timeout`.
pub fn wait_listening(
    child: &mut Child,
    port: u16,
    what: &str,
    timeout: Duration,
    log: impl Fn() -> String,
) {
    let deadline = Instant::now() + timeout;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited ({status}): {}", log());
        }
        assert!(
            Instant::now() < deadline,
            "{what} did not start listening on port {port} within {timeout:?}: {}",
            log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends `signal` (`"TERM"`, `"INT"`) and waits up to 10 s for the exit, then kills.
pub fn stop(child: &mut Child, signal: &str) {
    let _ = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
