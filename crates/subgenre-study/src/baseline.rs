//! The classic models into a folder: `report.json` and the last seed's confusion matrices,
//! as `subgenre baseline` writes them.

use std::path::Path;

use subgenre_classic::{run_baseline, BaselineConfig, Progress};
use subgenre_eval::{ClassificationReport, Report};

use crate::error::{Result, StudyError};

/// What the runs made.
#[derive(Debug)]
pub struct BaselineOutcome {
    pub report: Report,
    /// Each model's scores on the last seed, in the order they ran.
    pub last_seed: Vec<(String, ClassificationReport)>,
}

/// Run `config`'s models and seeds, then write `out/report.json` and
/// `out/confusion_<model>.png` for the last seed. `on_event` sees every event of the runs.
pub fn baseline_into(
    config: &BaselineConfig,
    out: &Path,
    on_event: &mut dyn FnMut(&Progress<'_>),
) -> Result<BaselineOutcome> {
    let last = config.seeds.last().copied();
    let mut last_seed = Vec::new();
    let report = run_baseline(config, &mut |event| {
        if let Progress::ModelDone { seed, run, report } = event {
            if Some(*seed) == last {
                last_seed.push((run.model.clone(), (*report).clone()));
            }
        }
        on_event(event);
    })?;
    std::fs::create_dir_all(out).map_err(|e| StudyError::io(out, e))?;
    for (model, scores) in &last_seed {
        let png = out.join(format!("confusion_{model}.png"));
        subgenre_eval::confusion_png(
            &png,
            &scores.confusion,
            &format!("{model}, {} protocol", config.protocol.name()),
        )?;
    }
    report.write_json(&out.join("report.json"))?;
    Ok(BaselineOutcome { report, last_seed })
}
