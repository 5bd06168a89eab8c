//! The study library's progress events as dicts given to a Python callable.

use std::sync::Arc;

use pyo3::prelude::*;
use subgenre_study::{Event, Progress};

use crate::data::json_value;

/// The library's callback calling `callback(dict)` with the GIL taken for each event (from
/// whichever thread the event comes); without a callable, events are dropped. An exception
/// the callable raises is reported as unraisable and the work goes on.
pub fn python_progress(callback: Option<Py<PyAny>>) -> Progress {
    let Some(callback) = callback else {
        return subgenre_study::silent();
    };
    Arc::new(move |event: &Event<'_>| {
        // The event as the library serialises it: `{"event": "epoch", ...}`.
        let Ok(text) = serde_json::to_string(event) else {
            return;
        };
        Python::attach(|py| {
            let called = json_value(py, &text).and_then(|event| callback.call1(py, (event,)));
            if let Err(e) = called {
                e.write_unraisable(py, Some(callback.bind(py)));
            }
        });
    })
}
