//! The `roadsight` command line: parses arguments and hands over to the library.

use anyhow::Context;
use clap::{Parser, Subcommand};
use roadsight::v2x::inspect;
use std::io::Write;
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

#[derive(Subcommand)]
enum Command {
    /// Decode V2X messages (UPER) and print them as JSON with the standard's field names.
    ///
    /// Each INPUT is a file (a pcap or pcapng capture of UDP datagrams, one message per
    /// datagram; a text file of hex; or the raw bytes of one message) or, if no such file
    /// exists, the message as hex.
    Decode {
        #[arg(required = true, value_name = "INPUT")]
        inputs: Vec<String>,
        /// ASN.1 type of the bytes when they are not a MessageFrame.
        #[arg(long = "type", default_value = "MessageFrame", value_parser = clap::builder::PossibleValuesParser::new(roadsight::v2x::cn::TYPE_NAMES))]
        type_name: String,
        /// Also print each message converted to SI units (m, s, m/s, rad, WGS84 degrees).
        #[arg(long)]
        si: bool,
        /// One JSON object per line (for scripts) instead of pretty-printed JSON.
        #[arg(long)]
        compact: bool,
    },
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
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
