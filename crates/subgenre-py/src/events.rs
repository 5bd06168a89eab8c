//! The study library's progress events as dicts given to a Python callable.

use std::sync::Arc;

use pyo3::prelude::*;
use serde_json::{json, Value};
use subgenre_study::{Event, Progress};

use crate::data::json_value;

/// An event as a JSON object with an `"event"` key naming it.
pub fn event_json(event: &Event<'_>) -> Option<Value> {
    let value = match event {
        Event::TaskStarted { task, total } => {
            json!({"event": "task_started", "task": task, "total": total})
        }
        Event::TaskAdvanced { task } => json!({"event": "task_advanced", "task": task}),
        Event::TaskFinished { task } => json!({"event": "task_finished", "task": task}),
        Event::Skipped { what, reason } => {
            json!({"event": "skipped", "what": what, "reason": reason})
        }
        Event::Note(text) => json!({"event": "note", "text": text}),
        Event::RunStarted {
            index,
            total,
            title,
            train,
            val,
            scored,
            scored_part,
            unit,
        } => json!({"event": "run_started", "index": index, "total": total, "title": title,
            "train": train, "val": val, "scored": scored, "scored_part": scored_part,
            "unit": unit}),
        Event::RunReused { result } => {
            json!({"event": "run_reused", "result": result.display().to_string()})
        }
        Event::Resumed { after_epoch } => json!({"event": "resumed", "after_epoch": after_epoch}),
        Event::Epoch { log, max_epochs } => json!({"event": "epoch", "epoch": log.epoch,
            "max_epochs": max_epochs, "train_loss": log.train_loss, "train_acc": log.train_acc,
            "val_loss": log.val_loss, "val_acc": log.val_acc, "seconds": log.seconds}),
        Event::RunFinished { run } => json!({"event": "run_finished", "model": run.model,
            "seed": run.seed, "weighted_f1": run.weighted_f1, "macro_f1": run.macro_f1,
            "accuracy": run.accuracy}),
        Event::RunFailed { name, error } => {
            json!({"event": "run_failed", "name": name, "error": error})
        }
        Event::StepStarted { index, total, name } => {
            json!({"event": "step_started", "index": index, "total": total, "name": name})
        }
        Event::StepCached {
            name,
            seconds,
            detail,
        } => json!({"event": "step_cached", "name": name, "seconds": seconds, "detail": detail}),
        Event::StepDone {
            name,
            seconds,
            detail,
        } => json!({"event": "step_done", "name": name, "seconds": seconds, "detail": detail}),
        Event::StepFailed {
            name,
            seconds,
            error,
        } => json!({"event": "step_failed", "name": name, "seconds": seconds, "error": error}),
        Event::ModelDone {
            seed,
            model,
            weighted_f1,
        } => json!({"event": "model_done", "seed": seed, "model": model,
            "weighted_f1": weighted_f1}),
        _ => return None,
    };
    Some(value)
}

/// The library's callback calling `callback(dict)` with the GIL taken for each event (from
/// whichever thread the event comes); without a callable, events are dropped. An exception
/// the callable raises is reported as unraisable and the work goes on.
pub fn python_progress(callback: Option<Py<PyAny>>) -> Progress {
    let Some(callback) = callback else {
        return subgenre_study::silent();
    };
    Arc::new(move |event: &Event<'_>| {
        let Some(value) = event_json(event) else {
            return;
        };
        let text = value.to_string();
        Python::attach(|py| {
            let called = json_value(py, &text).and_then(|event| callback.call1(py, (event,)));
            if let Err(e) = called {
                e.write_unraisable(py, Some(callback.bind(py)));
            }
        });
    })
}
