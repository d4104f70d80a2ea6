//! Command-line entry point for the `tidy` artifact cache tool.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use crate::cache::{Cache, CacheError};

/// Command-line arguments.
#[derive(Parser, Debug)]
#[command(name = "tidy", version, about = "Manage the local artifact cache")]
pub struct Args {
    /// Subcommand to run: init, sync or stats.
    pub command: String,

    /// Cache directory.
    #[arg(long, default_value = ".tidy-cache")]
    pub dir: PathBuf,

    /// Print what would be done without touching the disk.
    #[arg(long)]
    pub dry_run: bool,
}

pub fn run(args: Args) -> Result<(), CacheError> {
    let mut cache = Cache::open(&args.dir)?;
    match args.command.as_str() {
        "init" => cache.init()?,
        "sync" => cache.sync(args.dry_run)?,
        "stats" => {
            let stats = cache.stats()?;
            println!("{} entries, {} bytes", stats.entries, stats.bytes);
        }
        other => return Err(CacheError::UnknownCommand(other.to_string())),
    }
    Ok(())
}

pub fn main() -> ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("tidy: {err}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dry_run_flag() {
        let args = Args::parse_from(["tidy", "sync", "--dry-run"]);
        assert_eq!(args.command, "sync");
        assert!(args.dry_run);
    }
}
