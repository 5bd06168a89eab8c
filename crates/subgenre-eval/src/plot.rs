//! Confusion-matrix PNG, drawn with plotters' bitmap backend and an embedded
//! DejaVu Sans (no system font lookup, so it renders the same on every machine).

use std::path::Path;
use std::sync::OnceLock;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontStyle;

use crate::error::{EvalError, Result};
use crate::metrics::ConfusionMatrix;

/// DejaVu Sans 2.37 (Bitstream Vera licence, see `assets/DejaVuSans-LICENSE.txt`).
static DEJAVU_SANS: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
const FAMILY: &str = "sans-serif";

fn ensure_font(path: &Path) -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FAMILY, FontStyle::Normal, DEJAVU_SANS).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(EvalError::Plot {
            path: path.to_owned(),
            message: "the embedded font could not be loaded".into(),
        })
    }
}

/// Matplotlib's "Blues" end points, interpolated linearly.
fn blues(v: f64) -> RGBColor {
    let v = v.clamp(0.0, 1.0);
    let lo = (247.0, 251.0, 255.0);
    let hi = (8.0, 48.0, 107.0);
    let mix = |a: f64, b: f64| (a + (b - a) * v).round() as u8;
    RGBColor(mix(lo.0, hi.0), mix(lo.1, hi.1), mix(lo.2, hi.2))
}

/// Splits a class name after its hyphens into lines of at most `max_chars`
/// where possible (a hyphen-free part longer than that stays whole).
fn wrap_label(name: &str, max_chars: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for piece in name.split_inclusive('-') {
        if !cur.is_empty() && cur.len() + piece.len() > max_chars {
            lines.push(std::mem::take(&mut cur));
        }
        cur.push_str(piece);
    }
    if !cur.is_empty() || lines.is_empty() {
        lines.push(cur);
    }
    lines
}

/// Draws `cm` as a PNG at `path` (atomically): class names on both axes,
/// counts and row percentages in the cells, colour by the row-normalised value.
pub fn confusion_png(path: &Path, cm: &ConfusionMatrix, title: &str) -> Result<()> {
    ensure_font(path)?;
    let k = cm.classes.len().max(1);
    let cell: i32 = 96;
    let font = |size: f64| (FAMILY, size).into_font();
    let label_font = font(15.0);
    let max_label = cm.classes.iter().map(|c| c.len()).max().unwrap_or(4) as i32;
    let left = 60 + (max_label * 9).max(60);
    let top = 60;
    let bottom = 100;
    let right = 30;
    let width = (left + cell * k as i32 + right) as u32;
    let height = (top + cell * k as i32 + bottom) as u32;

    draw_png(path, (width, height), |root| {
        let centre = Pos::new(HPos::Center, VPos::Center);
        root.draw(&Text::new(
            title.to_owned(),
            (width as i32 / 2, 24),
            font(20.0).color(&BLACK).pos(centre),
        ))
        .map_err(|e| e.to_string())?;

        let norm = cm.row_normalised();
        for (t, row) in cm.counts.iter().enumerate() {
            for (p, &count) in row.iter().enumerate() {
                let v = norm[t][p];
                let x0 = left + p as i32 * cell;
                let y0 = top + t as i32 * cell;
                root.draw(&Rectangle::new(
                    [(x0, y0), (x0 + cell, y0 + cell)],
                    blues(v).filled(),
                ))
                .map_err(|e| e.to_string())?;
                root.draw(&Rectangle::new(
                    [(x0, y0), (x0 + cell, y0 + cell)],
                    RGBColor(200, 200, 200).stroke_width(1),
                ))
                .map_err(|e| e.to_string())?;
                let ink = if v > 0.5 { WHITE } else { BLACK };
                root.draw(&Text::new(
                    count.to_string(),
                    (x0 + cell / 2, y0 + cell / 2 - 10),
                    font(22.0).color(&ink).pos(centre),
                ))
                .map_err(|e| e.to_string())?;
                root.draw(&Text::new(
                    format!("{:.0}%", 100.0 * v),
                    (x0 + cell / 2, y0 + cell / 2 + 16),
                    font(14.0).color(&ink).pos(centre),
                ))
                .map_err(|e| e.to_string())?;
            }
        }
        // True classes on the left, right-aligned.
        for (t, name) in cm.classes.iter().enumerate() {
            root.draw(&Text::new(
                name.clone(),
                (left - 8, top + t as i32 * cell + cell / 2),
                label_font
                    .clone()
                    .color(&BLACK)
                    .pos(Pos::new(HPos::Right, VPos::Center)),
            ))
            .map_err(|e| e.to_string())?;
        }
        // Predicted classes below, wrapped at hyphens to fit a cell.
        for (p, name) in cm.classes.iter().enumerate() {
            for (i, line) in wrap_label(name, 11).iter().enumerate() {
                root.draw(&Text::new(
                    line.clone(),
                    (
                        left + p as i32 * cell + cell / 2,
                        top + k as i32 * cell + 14 + 18 * i as i32,
                    ),
                    label_font.clone().color(&BLACK).pos(centre),
                ))
                .map_err(|e| e.to_string())?;
            }
        }
        root.draw(&Text::new(
            "predicted".to_owned(),
            (left + k as i32 * cell / 2, height as i32 - 22),
            font(17.0).color(&BLACK).pos(centre),
        ))
        .map_err(|e| e.to_string())?;
        root.draw(&Text::new(
            "true".to_owned(),
            (22, top + k as i32 * cell / 2),
            font(17.0)
                .color(&BLACK)
                .transform(FontTransform::Rotate270)
                .pos(centre),
        ))
        .map_err(|e| e.to_string())?;
        Ok(())
    })
}

/// One line of a line chart: its name (for the legend) and its points.
pub struct Series<'a> {
    /// Legend entry.
    pub name: &'a str,
    /// `(x, y)` points, in x order.
    pub points: Vec<(f64, f64)>,
}

/// Distinct line colours (matplotlib's "tab10").
const TAB10: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// A panel of a line chart: title, axis names, y range (`None`: fitted to the data), lines,
/// and an optional vertical marker (e.g. the best epoch) with its label.
pub struct Panel<'a> {
    /// Panel title.
    pub title: &'a str,
    /// x axis name.
    pub x_label: &'a str,
    /// y axis name.
    pub y_label: &'a str,
    /// Fixed y range, or fitted to the data.
    pub y_range: Option<(f64, f64)>,
    /// The lines.
    pub series: Vec<Series<'a>>,
    /// A dashed vertical line at this x, with a legend label.
    pub marker: Option<(f64, &'a str)>,
}

/// Draws `panels` side by side (each 560x380 pixels) into one PNG at `path`, atomically.
pub fn line_charts_png(path: &Path, panels: &[Panel<'_>]) -> Result<()> {
    ensure_font(path)?;
    let n = panels.len().max(1) as u32;
    let (panel_w, panel_h) = (560u32, 380u32);
    draw_png(path, (panel_w * n, panel_h), |root| {
        let areas = root.split_evenly((1, n as usize));
        for (area, panel) in areas.iter().zip(panels) {
            draw_panel(area, panel).map_err(|e| e.to_string())?;
        }
        Ok(())
    })
}

type Canvas<'a> = DrawingArea<BitMapBackend<'a>, plotters::coord::Shift>;

/// A white `size` canvas handed to `draw`, written to `path` atomically as a PNG.
fn draw_png(
    path: &Path,
    size: (u32, u32),
    draw: impl FnOnce(&Canvas<'_>) -> std::result::Result<(), String>,
) -> Result<()> {
    let plot_err = |message: String| EvalError::Plot {
        path: path.to_owned(),
        message,
    };
    let mut rgb = vec![0u8; size.0 as usize * size.1 as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| plot_err(e.to_string()))?;
        draw(&root).map_err(plot_err)?;
        root.present().map_err(|e| plot_err(e.to_string()))?;
    }
    let png = encode_png(&rgb, size).map_err(|e| plot_err(e.to_string()))?;
    crate::io::write_atomic(path, &png)
}

/// Plots are flat colours and thin lines: with adaptive row filters and the strongest deflate
/// they come out about 4x smaller than plotters' own encoding (a learning-curve figure: 208 ->
/// ~55 kB), which matters once a report embeds dozens of them.
fn encode_png(
    rgb: &[u8],
    (width, height): (u32, u32),
) -> std::result::Result<Vec<u8>, png::EncodingError> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Best);
    encoder.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()?;
    Ok(bytes)
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    panel: &Panel<'_>,
) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let points = || panel.series.iter().flat_map(|s| s.points.iter());
    let finite = |v: &f64| v.is_finite();
    let xs: Vec<f64> = points().map(|p| p.0).filter(finite).collect();
    let ys: Vec<f64> = points().map(|p| p.1).filter(finite).collect();
    let x_min = xs.iter().copied().fold(f64::INFINITY, f64::min);
    let x_max = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (x_min, x_max) = if x_min.is_finite() && x_max > x_min {
        (x_min, x_max)
    } else {
        (0.0, 1.0)
    };
    let (y_min, y_max) = panel.y_range.unwrap_or_else(|| {
        let lo = ys.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = ys.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if lo.is_finite() && hi > lo {
            let pad = 0.05 * (hi - lo);
            (lo - pad, hi + pad)
        } else if lo.is_finite() {
            (lo - 0.5, lo + 0.5)
        } else {
            (0.0, 1.0)
        }
    });
    let mut chart = ChartBuilder::on(area)
        .caption(panel.title, (FAMILY, 18).into_font())
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(x_min..x_max, y_min..y_max)?;
    chart
        .configure_mesh()
        .x_desc(panel.x_label)
        .y_desc(panel.y_label)
        .label_style((FAMILY, 13).into_font())
        .light_line_style(RGBColor(235, 235, 235))
        .draw()?;
    for (i, s) in panel.series.iter().enumerate() {
        let colour = TAB10[i % TAB10.len()];
        chart
            .draw_series(LineSeries::new(
                s.points
                    .iter()
                    .copied()
                    .filter(|p| p.0.is_finite() && p.1.is_finite()),
                colour.stroke_width(2),
            ))?
            .label(s.name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2))
            });
    }
    if let Some((x, label)) = panel.marker {
        let grey = RGBColor(90, 90, 90);
        chart
            .draw_series(DashedLineSeries::new(
                vec![(x, y_min), (x, y_max)],
                6,
                4,
                grey.stroke_width(1),
            ))?
            .label(label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], grey.stroke_width(1))
            });
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(200, 200, 200))
        .label_font((FAMILY, 13).into_font())
        .position(SeriesLabelPosition::UpperRight)
        .draw()?;
    Ok(())
}

/// A training run's learning curves: loss and accuracy per epoch, training and validation,
/// with the best (restored) epoch marked. One PNG, two panels.
pub fn learning_curves_png(
    path: &Path,
    history: &[crate::report::EpochStats],
    best_epoch: Option<u32>,
    title: &str,
) -> Result<()> {
    let pick = |f: fn(&crate::report::EpochStats) -> f64| {
        history
            .iter()
            .map(|e| (e.epoch as f64, f(e)))
            .collect::<Vec<_>>()
    };
    let marker = best_epoch.map(|e| (e as f64, "best epoch"));
    let loss_title = format!("{title}: loss");
    let acc_title = format!("{title}: accuracy");
    line_charts_png(
        path,
        &[
            Panel {
                title: &loss_title,
                x_label: "epoch",
                y_label: "loss",
                y_range: None,
                series: vec![
                    Series {
                        name: "train",
                        points: pick(|e| e.train_loss),
                    },
                    Series {
                        name: "validation",
                        points: pick(|e| e.val_loss),
                    },
                ],
                marker,
            },
            Panel {
                title: &acc_title,
                x_label: "epoch",
                y_label: "accuracy",
                y_range: Some((0.0, 1.0)),
                series: vec![
                    Series {
                        name: "train",
                        points: pick(|e| e.train_accuracy),
                    },
                    Series {
                        name: "validation",
                        points: pick(|e| e.val_accuracy),
                    },
                ],
                marker,
            },
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_long_names_at_hyphens() {
        assert_eq!(wrap_label("tekno", 11), vec!["tekno"]);
        assert_eq!(
            wrap_label("non-techno-drop", 11),
            vec!["non-techno-", "drop"]
        );
        assert_eq!(
            wrap_label("non-techno-drop", 6),
            vec!["non-", "techno-", "drop"]
        );
        assert_eq!(
            wrap_label("oldschool-hardstyle", 11),
            vec!["oldschool-", "hardstyle"]
        );
        assert_eq!(wrap_label("", 11), vec![""]);
    }

    #[test]
    fn learning_curves_draw_a_png() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("curves.png");
        let history: Vec<crate::report::EpochStats> = (1..=6)
            .map(|e| crate::report::EpochStats {
                epoch: e,
                train_loss: 1.0 / e as f64,
                train_accuracy: 0.5 + 0.05 * e as f64,
                val_loss: 1.2 / e as f64 + 0.01 * e as f64,
                val_accuracy: 0.45 + 0.04 * e as f64,
            })
            .collect();
        learning_curves_png(&path, &history, Some(4), "compact").expect("drawn");
        let bytes = std::fs::read(&path).expect("written");
        assert_eq!(&bytes[1..4], b"PNG");
        // Two 560-pixel panels side by side.
        assert_eq!(
            u32::from_be_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]),
            1120
        );
        let leftovers = std::fs::read_dir(dir.path()).expect("list").count();
        assert_eq!(leftovers, 1, "no temporary file left behind");
        // It decodes to the canvas, and something was drawn on the white.
        let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
            .read_info()
            .expect("png header");
        let mut rgb = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut rgb).expect("png data");
        assert_eq!(
            (info.width, info.height, info.color_type),
            (1120, 380, png::ColorType::Rgb)
        );
        let drawn = rgb.chunks(3).filter(|p| p != &[255, 255, 255]).count();
        assert!(drawn > 5_000, "only {drawn} non-white pixels");
    }

    #[test]
    fn draws_a_png() {
        let classes: Vec<String> = subgenre_core::classes::FIVE_CLASSES
            .iter()
            .map(|s| s.to_string())
            .collect();
        let y_true = [0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 4, 1];
        let y_pred = [0, 0, 1, 1, 3, 2, 2, 3, 1, 4, 4, 0, 1];
        let cm = ConfusionMatrix::new(&y_true, &y_pred, &classes).expect("cm");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("confusion.png");
        confusion_png(&path, &cm, "svm, seed 42").expect("png");
        let bytes = std::fs::read(&path).expect("read");
        assert_eq!(&bytes[1..4], b"PNG");
        assert_eq!(
            std::fs::read_dir(dir.path()).expect("dir").count(),
            1,
            "no temporaries left"
        );
        if let Ok(keep) = std::env::var("SUBGENRE_KEEP_PNG") {
            std::fs::copy(&path, keep).expect("copy");
        }
    }
}
