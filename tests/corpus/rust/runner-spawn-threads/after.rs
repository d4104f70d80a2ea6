//! Runs build jobs and collects their outcomes.

use std::sync::{Arc, Mutex};
use std::thread;
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

    /// Runs every job on its own thread and records its outcome.
    pub fn run_all(&self, jobs: Vec<Job>) {
        let mut handles = Vec::new();
        for job in jobs {
            let results = Arc::clone(&self.results);
            handles.push(thread::spawn(move || {
                let outcome = execute(&job);
                results.lock().unwrap().push(outcome);
            }));
        }
        for handle in handles {
            handle.join().expect("build worker panicked");
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
