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

/// The study library's events as this program shows them: bars for counted tasks, a line per
/// run, epoch and step, warnings and left-out items on stderr.
pub fn study_events() -> subgenre_study::Progress {
    use std::collections::HashMap;
    use subgenre_study::Event;
    let bars: Mutex<HashMap<&'static str, Progress>> = Mutex::new(HashMap::new());
    std::sync::Arc::new(move |event: &Event<'_>| {
        match event {
        Event::TaskStarted { task, total } => {
            if let Ok(mut bars) = bars.lock() {
                bars.insert(task, Progress::new(task, *total as u64));
            }
        }
        Event::TaskAdvanced { task } => {
            if let Some(bar) = bars.lock().ok().as_ref().and_then(|b| b.get(task)) {
                bar.inc();
            }
        }
        Event::TaskFinished { task } => {
            if let Some(bar) = bars.lock().ok().and_then(|mut b| b.remove(task)) {
                bar.finish();
            }
        }
        Event::Skipped { what, reason } => {
            if reason.contains(what) {
                eprintln!("left out: {reason}");
            } else {
                eprintln!("left out {what}: {reason}");
            }
        }
        Event::Note(text) if text.starts_with("warning") => eprintln!("{text}"),
        Event::Note(text) => println!("{text}"),
        Event::RunStarted {
            index,
            total,
            title,
            train,
            val,
            scored,
            scored_part,
            unit,
        } => {
            let scored_part = match *scored_part {
                "validation" => "scored on validation (--final: train = train+test)",
                other => other,
            };
            println!(
                "\n[{index}/{total}] {title}: train {train} / validation {val} / {scored_part} {scored} {unit}"
            );
        }
        Event::RunReused { result } => println!("  finished earlier: {}", result.display()),
        Event::Resumed { after_epoch } => println!("  (resumed after epoch {after_epoch})"),
        Event::Epoch { log: e, max_epochs } => println!(
            "  epoch {:>2}/{max_epochs}  loss {:.4}  acc {:.4} | val loss {:.4}  acc {:.4}  ({:.1} s)",
            e.epoch, e.train_loss, e.train_acc, e.val_loss, e.val_acc, e.seconds
        ),
        Event::RunFinished { run } => println!(
            "  weighted F1 {:.4}  macro F1 {:.4}  accuracy {:.4}  (best epoch {} of {}, {:.0} s)",
            run.weighted_f1,
            run.macro_f1,
            run.accuracy,
            run.best_epoch.unwrap_or(0),
            run.epochs_run.unwrap_or(0),
            run.train_seconds.unwrap_or(0.0)
        ),
        Event::RunFailed { error, .. } => eprintln!("  run failed: {error}"),
        Event::StepStarted { index, total, name } => println!("\n=== [{index}/{total}] {name} ==="),
        Event::StepCached {
            name,
            seconds,
            detail,
        } => println!("{name}: finished earlier with the same inputs ({seconds:.1} s then): {detail}"),
        Event::StepDone {
            name,
            seconds,
            detail,
        } => println!("{name}: done in {seconds:.1} s: {detail}"),
        Event::StepFailed {
            name,
            seconds,
            error,
        } => eprintln!("{name}: FAILED after {seconds:.1} s: {error}"),
        Event::ModelDone {
            seed,
            model,
            weighted_f1,
        } => println!("seed {seed} {model:<10} weighted F1 {weighted_f1:.3}"),
        _ => {}
    }
    })
}
