//! `index.html`: one self-contained page (styles inline, figures as data URIs) that reads
//! without a server or network.

use std::fmt::Write as _;
use std::path::Path;

use base64::Engine as _;
use subgenre_eval::{ConfusionMatrix, Report, Run, SummaryRow};

use crate::reference::{self, Figure};
use crate::{ReportError, Result, Section, StudyReport};

const STYLE: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;max-width:1200px;padding:0 24px 48px;color:#1d1d1f;line-height:1.45}
h1{margin-top:28px}h2{border-bottom:2px solid #ddd;padding-bottom:4px;margin-top:40px}
table{border-collapse:collapse;margin:10px 0 18px;font-size:14px}
th,td{border:1px solid #ddd;padding:4px 9px;text-align:right}th{background:#f3f3f5}
td:first-child,th:first-child{text-align:left}
.better{color:#0a7d28;font-weight:600}.worse{color:#b3261e}
.meta{color:#555}.note{color:#555;font-size:14px;max-width:900px}
.figs{display:flex;flex-wrap:wrap;gap:12px}.figs figure{margin:0}
.figs img{max-width:380px;border:1px solid #eee}.figs figcaption{font-size:12px;color:#555}
.status-failed{color:#b3261e;font-weight:600}.status-cached{color:#555}
nav a{margin-right:14px}
";

/// Below this many clips the page warns that the figures say little.
const SMALL_SET: u64 = 200;

/// The page for `report`; the summed confusion matrices are drawn into `dir/figures/`, and
/// every figure (those and the runs' learning curves, paths relative to `dir`) is embedded.
pub fn render_html(report: &StudyReport, dir: &Path) -> Result<String> {
    let figures = dir.join("figures");
    std::fs::create_dir_all(&figures).map_err(|source| ReportError::Io {
        action: "creating",
        path: figures.clone(),
        source,
    })?;
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width\"><title>subgenre study report</title>\
<style>{STYLE}</style></head><body>"
    );
    // Finished training runs are picked up, not redone: count their own training time.
    let trained: Vec<f64> = report
        .cnn
        .iter()
        .chain(&report.transfer)
        .flat_map(|s| s.report.runs.iter().filter_map(|r| r.train_seconds))
        .collect();
    let _ = write!(
        h,
        "<h1>subgenre: the hard-techno study, reproduced</h1>\
<p class=\"meta\">{} · data: {} · grid: {} · written {} · steps: {} this run · CNN training: {} \
over {} runs</p>",
        esc(&report.version),
        esc(&report.data),
        esc(&report.grid),
        esc(&report.generated),
        duration(report.total_seconds),
        duration(trained.iter().sum()),
        trained.len()
    );
    h.push_str(
        "<nav><a href=\"#steps\">Steps</a><a href=\"#data\">Data set</a>\
<a href=\"#classic\">Classic models</a><a href=\"#cnn\">CNNs</a><a href=\"#transfer\">Transfer</a></nav>",
    );
    let clips = report
        .dataset
        .as_ref()
        .and_then(|d| d.get("selected_clips"))
        .and_then(|v| v.as_u64());
    if clips.is_some_and(|n| n < SMALL_SET) {
        let _ = write!(
            h,
            "<p class=\"note\"><b>A small data set ({} clips):</b> its splits hold a few clips \
per class, too few to train the networks (expect near-chance CNN figures). These pages show the \
pipeline at work; the study's figures need the full set (<code>--data \
../shared/data/hardtechno</code>).</p>",
            clips.unwrap_or(0)
        );
    }
    steps(&mut h, report);
    dataset(&mut h, report);

    h.push_str("<h2 id=\"classic\">Classic models on the per-clip features</h2>");
    h.push_str(
        "<p class=\"note\">The study's protocol is one random 80/20 split of clips with early \
stopping and tuning on the test part: clips of one track land on both sides, so its figures are \
optimistic. The group protocol splits by track (70/15/15, validation for early stopping), \
one split per seed. Study figures: its published table and its own code rerun on the same kind \
of machine. <code>boost</code> is the pure-Rust gradient booster (beside the study's XGBoost); \
<code>vote</code> is the soft vote of XGBoost and LightGBM when built with those features, else of \
the pure-Rust booster and the SVM.</p>",
    );
    sections(&mut h, &report.classic, Kind::Classic, &figures, dir)?;

    h.push_str("<h2 id=\"cnn\">CNNs on mel-spectrograms</h2>");
    h.push_str(
        "<p class=\"note\">Mel-spectrograms (128 bands, n_fft 1024, hop 512), dB, min-max scaled; \
split grouped by track, one per seed; Adam, class-weighted cross entropy, early stopping on \
validation loss with the best epoch's weights restored; weighted F1 on the test part, mean ± \
population std over the seeds. Confusion matrices sum the test parts of every seed.</p>",
    );
    sections(&mut h, &report.cnn, Kind::Cnn, &figures, dir)?;

    h.push_str("<h2 id=\"transfer\">Transfer learning</h2>");
    if report.transfer.is_empty() {
        h.push_str(
            "<p class=\"note\">Not run: pass <code>--gtzan DIR</code> (class folders of \
spectrogram images) to fine-tune the first seed's compact model on it, beside the same network \
trained from scratch on the same split.</p>",
        );
    } else {
        h.push_str(
            "<p class=\"note\">The base model's classification layer replaced for the new \
classes and every layer fine-tuned (transfer), against the same network from random weights on \
the same split and budget (scratch). One split (seed 42) for every run, as the study; the seeds \
vary the initialisation and shuffling.</p>",
        );
        sections(&mut h, &report.transfer, Kind::Transfer, &figures, dir)?;
    }
    h.push_str("</body></html>\n");
    Ok(h)
}

fn steps(h: &mut String, report: &StudyReport) {
    h.push_str("<h2 id=\"steps\">Steps</h2><table><tr><th>step</th><th>status</th><th>time</th><th>detail</th></tr>");
    for s in &report.steps {
        let _ = write!(
            h,
            "<tr><td>{}</td><td class=\"status-{}\">{}</td><td>{}</td><td style=\"text-align:left\">{}</td></tr>",
            esc(&s.name),
            esc(&s.status),
            esc(&s.status),
            duration(s.seconds),
            esc(&s.detail)
        );
    }
    h.push_str("</table>");
}

fn dataset(h: &mut String, report: &StudyReport) {
    h.push_str("<h2 id=\"data\">Data set</h2>");
    let Some(stats) = &report.dataset else {
        h.push_str("<p class=\"note\">No data set statistics (the step failed).</p>");
        return;
    };
    let num = |k: &str| stats.get(k).and_then(|v| v.as_u64()).unwrap_or(0);
    let _ = write!(
        h,
        "<p>{} labelled rows from {} tracks; {} clips on disk from {} tracks; {} rows without a \
clip, {} clips without a row. Selected: <b>{} clips from {} tracks</b>.</p>",
        num("rows"),
        num("tracks_in_csv"),
        num("clips"),
        num("tracks_with_clips"),
        num("rows_without_clip"),
        num("clips_without_row"),
        num("selected_clips"),
        num("selected_tracks")
    );
    let selected: Vec<&str> = stats
        .get("selected_classes")
        .and_then(|v| v.as_array())
        .map(|a| a.iter().filter_map(|c| c.as_str()).collect())
        .unwrap_or_default();
    h.push_str("<table><tr><th>class</th><th>clips</th><th>used</th></tr>");
    if let Some(per_class) = stats.get("per_class").and_then(|v| v.as_object()) {
        for (class, n) in per_class {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(class),
                n.as_u64().unwrap_or(0),
                if selected.contains(&class.as_str()) {
                    "yes"
                } else {
                    "set aside"
                }
            );
        }
    }
    h.push_str("</table>");
}

/// Which of the study's tables a section is compared with.
#[derive(Clone, Copy)]
enum Kind {
    Classic,
    Cnn,
    Transfer,
}

fn sections(
    h: &mut String,
    sections: &[Section],
    kind: Kind,
    figures: &Path,
    dir: &Path,
) -> Result<()> {
    if sections.is_empty() {
        h.push_str("<p class=\"note\">No results (the step did not run or failed; see Steps).</p>");
    }
    for section in sections {
        let r = &section.report;
        let _ = write!(
            h,
            "<h3>{}</h3><p class=\"note\">{}</p>",
            esc(&section.title),
            esc(&section.protocol_note)
        );
        // Summary beside the study.
        h.push_str(
            "<table><tr><th>model</th><th>input</th><th>runs</th><th>weighted F1</th>\
<th>macro F1</th><th>accuracy</th><th>seconds a run</th><th>the study</th></tr>",
        );
        for row in &r.summary {
            let runs = runs_of(r, row);
            let seconds: Vec<f64> = runs
                .iter()
                .map(|run| run.train_seconds.unwrap_or(run.fit_seconds))
                .collect();
            let refs = match kind {
                // The report's protocol is e.g. `group` or `study (leaky)`.
                Kind::Classic => reference::classic(
                    r.protocol.split_whitespace().next().unwrap_or(""),
                    &row.model,
                ),
                Kind::Cnn => reference::cnn(
                    &row.model,
                    row.variant.as_deref().unwrap_or(""),
                    row.size.unwrap_or(0),
                ),
                Kind::Transfer => reference::transfer(&row.model),
            };
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td><b>{:.3} ± {:.3}</b></td><td>{:.3}</td>\
<td>{:.3}</td><td>{:.1}</td><td style=\"text-align:left\">{}</td></tr>",
                esc(&row.model),
                esc(&input_of(row)),
                runs.len(),
                row.weighted_f1_mean,
                row.weighted_f1_std,
                row.macro_f1_mean,
                row.accuracy_mean,
                subgenre_eval::mean(&seconds),
                compare(row.weighted_f1_mean, &refs)
            );
        }
        h.push_str("</table>");

        // Per-class F1, mean over runs.
        h.push_str("<table><tr><th>per-class F1 (mean over runs)</th>");
        for class in &r.classes {
            let _ = write!(h, "<th>{}</th>", esc(class));
        }
        h.push_str("</tr>");
        for row in &r.summary {
            let runs = runs_of(r, row);
            let _ = write!(
                h,
                "<tr><td>{} {}</td>",
                esc(&row.model),
                esc(&input_of(row))
            );
            for class in &r.classes {
                let f1s: Vec<f64> = runs
                    .iter()
                    .filter_map(|run| {
                        run.per_class
                            .0
                            .iter()
                            .find(|(c, _)| c == class)
                            .map(|(_, m)| m.f1)
                    })
                    .collect();
                let _ = write!(h, "<td>{:.3}</td>", subgenre_eval::mean(&f1s));
            }
            h.push_str("</tr>");
        }
        h.push_str("</table>");

        // Confusion matrices summed over the runs.
        h.push_str("<div class=\"figs\">");
        for row in &r.summary {
            let runs = runs_of(r, row);
            let Some(summed) = summed_confusion(&runs, &r.classes) else {
                continue;
            };
            let title = format!("{} {}", row.model, input_of(row));
            let name = format!("{}_{}.png", section.key, file_safe(&title));
            let path = figures.join(&name);
            subgenre_eval::confusion_png(
                &path,
                &summed,
                &format!("{} ({} runs)", title.trim(), runs.len()),
            )?;
            figure(
                h,
                &path,
                &format!("{}: test parts of {} runs", title.trim(), runs.len()),
            );
        }
        h.push_str("</div>");

        if !section.curves.is_empty() {
            let _ = write!(
                h,
                "<h4>Learning curves ({} runs)</h4><div class=\"figs\">",
                section.curves.len()
            );
            for (label, rel) in &section.curves {
                figure(h, &dir.join(rel), label);
            }
            h.push_str("</div>");
        }
    }
    Ok(())
}

fn runs_of<'a>(report: &'a Report, row: &SummaryRow) -> Vec<&'a Run> {
    report
        .runs
        .iter()
        .filter(|run| run.model == row.model && run.variant == row.variant && run.size == row.size)
        .collect()
}

fn input_of(row: &SummaryRow) -> String {
    match (&row.variant, row.size) {
        (Some(v), Some(s)) => format!("{v} {s}"),
        (Some(v), None) => v.clone(),
        _ => "features".into(),
    }
}

fn summed_confusion(runs: &[&Run], classes: &[String]) -> Option<ConfusionMatrix> {
    let k = classes.len();
    let mut counts = vec![vec![0u64; k]; k];
    for run in runs {
        if run.confusion.len() != k || run.confusion.iter().any(|r| r.len() != k) {
            return None;
        }
        for (t, row) in run.confusion.iter().enumerate() {
            for (p, &n) in row.iter().enumerate() {
                counts[t][p] += n;
            }
        }
    }
    (!runs.is_empty()).then(|| ConfusionMatrix {
        classes: classes.to_vec(),
        counts,
    })
}

/// "0.777 ± 0.031 (study, published) +0.063" for each reference figure.
fn compare(ours: f64, refs: &[Figure]) -> String {
    if refs.is_empty() {
        return "–".into();
    }
    refs.iter()
        .map(|f| {
            let std = f.std.map(|s| format!(" ± {s:.3}")).unwrap_or_default();
            let delta = ours - f.mean;
            let class = if delta >= 0.0 { "better" } else { "worse" };
            format!(
                "{:.3}{std} <span class=\"meta\">({})</span> <span class=\"{class}\">{delta:+.3}</span>",
                f.mean,
                esc(f.source)
            )
        })
        .collect::<Vec<_>>()
        .join("<br>")
}

fn figure(h: &mut String, path: &Path, caption: &str) {
    match std::fs::read(path) {
        Ok(bytes) => {
            let _ = write!(
                h,
                "<figure><img alt=\"{}\" src=\"data:image/png;base64,{}\"><figcaption>{}</figcaption></figure>",
                esc(caption),
                base64::engine::general_purpose::STANDARD.encode(bytes),
                esc(caption)
            );
        }
        // A missing figure is worth a line, not a failed report.
        Err(e) => {
            let _ = write!(
                h,
                "<p class=\"note\">{}: figure {} unreadable ({e})</p>",
                esc(caption),
                esc(&path.display().to_string())
            );
        }
    }
}

fn file_safe(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

fn duration(seconds: f64) -> String {
    if seconds < 60.0 {
        format!("{seconds:.1} s")
    } else if seconds < 3600.0 {
        format!(
            "{:.0} min {:02.0} s",
            (seconds / 60.0).floor(),
            seconds % 60.0
        )
    } else {
        format!(
            "{:.0} h {:02.0} min",
            (seconds / 3600.0).floor(),
            (seconds % 3600.0) / 60.0
        )
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_durations() {
        assert_eq!(esc("a<b & \"c\">"), "a&lt;b &amp; &quot;c&quot;&gt;");
        assert_eq!(duration(5.04), "5.0 s");
        assert_eq!(duration(125.0), "2 min 05 s");
        assert_eq!(duration(7260.0), "2 h 01 min");
    }

    #[test]
    fn compare_marks_direction() {
        let refs = [Figure {
            source: "x",
            mean: 0.5,
            std: Some(0.1),
        }];
        let s = compare(0.6, &refs);
        assert!(s.contains("better") && s.contains("+0.100") && s.contains("0.500 ± 0.100"));
        assert!(compare(0.4, &refs).contains("worse"));
        assert_eq!(compare(0.4, &[]), "–");
    }
}
