//! A real Mosquitto broker on loopback for the TCC-feed tests and bench: a generated config,
//! a free port, started and stopped (SIGTERM, so that it saves its persistence file) at will.
//! A missing `mosquitto` fails the test: CI installs it (`.ci/run`), so its absence is a
//! broken set-up, never a reason to pass.
#![allow(dead_code)]

#[path = "process.rs"]
mod process;

pub use process::free_port;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

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
        let mut child = Command::new(mosquitto_bin())
            .arg("-c")
            .arg(&self.conf)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start mosquitto");
        let dir = self.dir.clone();
        process::wait_listening(
            &mut child,
            self.port,
            "mosquitto",
            Duration::from_secs(10),
            || std::fs::read_to_string(dir.join("mosquitto.log")).unwrap_or_default(),
        );
        self.child = Some(child);
    }

    /// Stops the broker with SIGTERM (it saves its sessions) and waits for it.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            process::stop(&mut c, "TERM");
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
