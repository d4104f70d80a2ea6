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

/// Runs one hook in `workdir`, splitting its command line on whitespace.
pub fn run_hook(hook: &Hook, workdir: &Path) -> Result<(), HookError> {
    let mut parts = hook.command.split_whitespace();
    let program = parts.next().ok_or_else(|| HookError::Empty(hook.name.clone()))?;
    let args: Vec<&str> = parts.collect();
    let status = Command::new(program).args(&args).current_dir(workdir).status()?;
    if !status.success() {
        return Err(HookError::Failed(hook.name.clone(), status));
    }
    Ok(())
}

/// Runs all hooks in declaration order and reports each result.
pub fn run_all(hooks: &[Hook], workdir: &Path) -> Vec<(String, Result<(), HookError>)> {
    let mut results = Vec::with_capacity(hooks.len());
    for hook in hooks {
        results.push((hook.name.clone(), run_hook(hook, workdir)));
    }
    results
}
