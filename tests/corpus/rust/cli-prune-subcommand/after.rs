//! Command-line entry point for the `tidy` artifact cache tool.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use crate::cache::{Cache, CacheError};

/// Command-line arguments.
#[derive(Parser, Debug)]
#[command(name = "tidy", version, about = "Manage the local artifact cache")]
pub struct Args {
    /// Subcommand to run: init, sync, stats or prune.
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
        "prune" => prune(&mut cache, args.dry_run)?,
        other => return Err(CacheError::UnknownCommand(other.to_string())),
    }
    Ok(())
}

/// Removes entries that were not used during the last 30 days.
fn prune(cache: &mut Cache, dry_run: bool) -> Result<(), CacheError> {
    let stale = cache.stale_entries(30)?;
    for entry in &stale {
        if dry_run {
            println!("would remove {}", entry.key);
        } else {
            cache.remove(&entry.key)?;
        }
    }
    println!("{} stale entries", stale.len());
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

    #[test]
    fn parses_prune_command() {
        let args = Args::parse_from(["tidy", "prune", "--dir", "/tmp/cache"]);
        assert_eq!(args.command, "prune");
        assert_eq!(args.dir, PathBuf::from("/tmp/cache"));
        assert!(!args.dry_run);
    }
}
