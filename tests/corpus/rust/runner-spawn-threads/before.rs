//! Runs build jobs and collects their outcomes.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Job {
    pub id: u32,
    pub command: String,
}

#[derive(Debug)]
pub struct Outcome {
    pub id: u32,
    pub ok: bool,
    pub elapsed: Duration,
}

fn execute(job: &Job) -> Outcome {
    let started = Instant::now();
    let ok = !job.command.trim().is_empty();
    Outcome { id: job.id, ok, elapsed: started.elapsed() }
}

pub struct Runner {
    results: Arc<Mutex<Vec<Outcome>>>,
}

impl Runner {
    pub fn new() -> Self {
        Runner { results: Arc::new(Mutex::new(Vec::new())) }
    }

    /// Runs every job and records its outcome.
    pub fn run_all(&self, jobs: Vec<Job>) {
        let results = &self.results;
        for job in jobs {
            let outcome = execute(&job);
            results.lock().unwrap().push(outcome);
        }
    }

    pub fn failures(&self) -> usize {
        let results = self.results.lock().unwrap();
        results.iter().filter(|o| !o.ok).count()
    }

    pub fn total_time(&self) -> Duration {
        let results = self.results.lock().unwrap();
        results.iter().map(|o| o.elapsed).sum()
    }
}
