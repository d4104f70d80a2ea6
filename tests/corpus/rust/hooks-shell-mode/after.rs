//! Post-checkout hooks declared in `.tide/hooks.toml`.

use std::io;
use std::path::Path;
use std::process::{Command, ExitStatus};

#[derive(Debug, Clone)]
pub struct Hook {
    pub name: String,
    pub command: String,
}

#[derive(Debug)]
pub enum HookError {
    Empty(String),
    Io(io::Error),
    Failed(String, ExitStatus),
}

impl From<io::Error> for HookError {
    fn from(err: io::Error) -> Self {
        HookError::Io(err)
    }
}

/// Runs one hook in `workdir`. With `use_shell` the command line is handed to `sh -c`,
/// so pipes and redirections work; otherwise it is split on whitespace.
pub fn run_hook(hook: &Hook, workdir: &Path, use_shell: bool) -> Result<(), HookError> {
    let mut parts = hook.command.split_whitespace();
    let program = parts.next().ok_or_else(|| HookError::Empty(hook.name.clone()))?;
    let args: Vec<&str> = parts.collect();
    let status = if !use_shell {
        Command::new(program).args(&args).current_dir(workdir).status()?
    } else {
        Command::new("sh").arg("-c").arg(&hook.command).current_dir(workdir).status()?
    };
    if !status.success() {
        return Err(HookError::Failed(hook.name.clone(), status));
    }
    Ok(())
}

/// Runs all hooks in declaration order and reports each result.
pub fn run_all(hooks: &[Hook], workdir: &Path, use_shell: bool) -> Vec<(String, Result<(), HookError>)> {
    let mut results = Vec::with_capacity(hooks.len());
    for hook in hooks {
        results.push((hook.name.clone(), run_hook(hook, workdir, use_shell)));
    }
    results
}
