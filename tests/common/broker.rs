//! A real Mosquitto broker on loopback for the TCC-feed tests and bench: a generated config,
//! a free port, started and stopped (SIGTERM, so that it saves its persistence file) at will.
//! A missing `mosquitto` fails the test: CI installs it (`.ci/run`), so its absence is a
//! broken set-up, never a reason to pass.
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Broker {
    pub port: u16,
    pub dir: PathBuf,
    conf: PathBuf,
    child: Option<Child>,
}

/// The `mosquitto` binary: on PATH, or where Debian puts it (/usr/sbin is not on every PATH).
pub fn mosquitto_bin() -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .map(|d| d.join("mosquitto"))
        .find(|p| p.is_file());
    let found = on_path.or_else(|| {
        ["/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"]
            .iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
    });
    match found {
        Some(p) => p,
        None => panic!(
            "mosquitto is not installed (CI={}): `apt-get install mosquitto` (.ci/run does); \
             the TCC-feed tests need a real broker",
            std::env::var("CI").unwrap_or_default()
        ),
    }
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    l.local_addr().expect("local addr").port()
}

impl Broker {
    /// A broker with anonymous access and persistence (sessions survive a restart).
    pub fn start(tag: &str) -> Self {
        Self::start_with(tag, "allow_anonymous true\n")
    }

    /// A broker with extra config lines (`password_file`, `acl_file`, ...).
    pub fn start_with(tag: &str, extra: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "roadsight-mosquitto-{tag}-{}-{}",
            std::process::id(),
            free_port()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("broker dir");
        // Started as root, mosquitto drops to its own user: it must be able to write its
        // persistence file and log here.
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777))
                .expect("broker dir permissions");
        }
        let port = free_port();
        let conf = dir.join("mosquitto.conf");
        let text = format!(
            "listener {port} 127.0.0.1\n\
             persistence true\n\
             persistence_location {}/\n\
             autosave_interval 1\n\
             max_queued_messages 100000\n\
             log_dest file {}/mosquitto.log\n\
             {extra}",
            dir.display(),
            dir.display()
        );
        std::fs::write(&conf, text).expect("write mosquitto.conf");
        let mut b = Self {
            port,
            dir,
            conf,
            child: None,
        };
        b.restart();
        b
    }

    pub fn url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.port)
    }

    /// Starts the broker (again) on the same port, and waits until it accepts connections.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "broker already running");
        let child = Command::new(mosquitto_bin())
            .arg("-c")
            .arg(&self.conf)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start mosquitto");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Some(c) = self.child.as_mut() {
                if let Ok(Some(status)) = c.try_wait() {
                    let log =
                        std::fs::read_to_string(self.dir.join("mosquitto.log")).unwrap_or_default();
                    panic!("mosquitto exited ({status}): {log}");
                }
            }
            assert!(
                Instant::now() < deadline,
                "mosquitto did not start listening"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the broker with SIGTERM (it saves its sessions) and waits for it.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &c.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                if let Ok(Some(_)) = c.try_wait() {
                    break;
                }
                if Instant::now() > deadline {
                    let _ = c.kill();
                    let _ = c.wait();
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
