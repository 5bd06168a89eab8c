//! Progress on long work: a bar on a terminal, a plain line every few seconds otherwise (logs
//! and CI stay readable).

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

pub struct Progress {
    bar: Option<ProgressBar>,
    plain: Option<Mutex<PlainState>>,
}

struct PlainState {
    label: String,
    total: u64,
    done: u64,
    started: Instant,
    last: Instant,
}

const PLAIN_EVERY: Duration = Duration::from_secs(5);

impl Progress {
    pub fn new(label: &str, total: u64) -> Self {
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(total);
            let style = ProgressStyle::with_template(
                "{prefix:>10} [{bar:32}] {pos}/{len} {elapsed_precise} eta {eta} {wide_msg}",
            )
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.set_prefix(label.to_string());
            Self {
                bar: Some(bar),
                plain: None,
            }
        } else {
            let now = Instant::now();
            Self {
                bar: None,
                plain: Some(Mutex::new(PlainState {
                    label: label.to_string(),
                    total,
                    done: 0,
                    started: now,
                    last: now,
                })),
            }
        }
    }

    /// Sets how many items there are, once known.
    pub fn set_total(&self, total: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(total);
        }
        if let Some(state) = &self.plain {
            if let Ok(mut s) = state.lock() {
                s.total = total;
            }
        }
    }

    /// One more item done.
    pub fn inc(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
        if let Some(state) = &self.plain {
            if let Ok(mut s) = state.lock() {
                s.done += 1;
                if s.last.elapsed() >= PLAIN_EVERY || s.done == s.total {
                    s.last = Instant::now();
                    eprintln!(
                        "{}: {}/{} ({:.0} s)",
                        s.label,
                        s.done,
                        s.total,
                        s.started.elapsed().as_secs_f64()
                    );
                }
            }
        }
    }

    /// Print a line without breaking the bar.
    pub fn println(&self, line: impl AsRef<str>) {
        match &self.bar {
            Some(bar) => bar.println(line.as_ref()),
            None => eprintln!("{}", line.as_ref()),
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
