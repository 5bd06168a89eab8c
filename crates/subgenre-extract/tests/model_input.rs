//! The model input matches the study's Python (cv2.resize, and the study's PNG figures)
//! on fixtures made by tools/fixtures/make_librosa_fixtures.py.

use ndarray::Array2;
use subgenre_extract::image::{resize, Interpolation};
use subgenre_extract::{canonical_image, model_input, study_png_pixels, InputRoute, MelVariant};
use subgenre_fixtures::{fixtures_dir, read_npy, repo_root};

fn ids() -> Vec<String> {
    std::fs::read_to_string(fixtures_dir().join("librosa/input/clips.txt"))
        .expect("clips.txt")
        .lines()
        .map(str::to_string)
        .collect()
}

fn matrix(path: std::path::PathBuf) -> Array2<f32> {
    let (shape, data) = read_npy(&path).expect("npy");
    Array2::from_shape_vec((shape[0], shape[1]), data).expect("shape")
}

fn max_abs(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

fn mean_abs(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f32>() / a.len() as f32
}

#[test]
fn array_route_matches_cv2_resize() {
    let dir = fixtures_dir().join("librosa");
    for id in ids() {
        let s_db = matrix(dir.join(format!("exact/{id}.mel_normal.npy")));
        let img = canonical_image(&s_db);
        for (name, size, interp) in [
            ("area128", 128, Interpolation::Area),
            ("area256", 256, Interpolation::Area),
            ("linear128", 128, Interpolation::Linear),
        ] {
            let (_, want) = read_npy(dir.join(format!("input/{id}.{name}.npy"))).expect("npy");
            let got = resize(&img, size, size, interp);
            let err = max_abs(&got.data, &want);
            assert!(err < 1e-4, "{id} {name}: max error {err}");
        }
    }
}

fn png_red_channel(path: &std::path::Path) -> (usize, usize, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(path).expect("png"),
    ));
    let mut reader = decoder.read_info().expect("info");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("frame");
    let channels = info.color_type.samples();
    let px = buf[..info.buffer_size()]
        .chunks(channels)
        .map(|c| c[0])
        .collect();
    (info.width as usize, info.height as usize, px)
}

#[test]
fn study_png_is_rebuilt_pixel_for_pixel() {
    let dir = fixtures_dir().join("librosa");
    for id in ids() {
        let s_db = matrix(dir.join(format!("exact/{id}.mel_normal.npy")));
        let (w, h, want) = png_red_channel(&dir.join(format!("input/{id}.study.png")));
        assert_eq!((w, h), (300, 300));
        let got = study_png_pixels(&s_db, MelVariant::Normal.fmax(), 300);
        let wrong = got.iter().zip(&want).filter(|(a, b)| a != b).count();
        assert_eq!(
            wrong, 0,
            "{id}: {wrong} pixels differ from the study's figure"
        );
        let (_, route) = read_npy(dir.join(format!("input/{id}.png_route128.npy"))).expect("npy");
        let ours = model_input(&s_db, MelVariant::Normal, InputRoute::StudyPng, 128);
        let err = max_abs(&ours, &route);
        assert!(err <= 1.5 / 255.0, "{id}: png route max error {err}");
    }
}

/// From the MP3 through decoding, resampling, mel and the PNG recipe, against the input the
/// study's CNN read for the same clip; and the two routes' difference, reported.
#[test]
fn end_to_end_inputs_match_the_study() {
    let dir = fixtures_dir().join("librosa");
    let mut spec = MelVariant::Normal.spectrogram().expect("mel");
    for id in ids() {
        let clip = repo_root().join(format!("data/demo/clips/{id}.mp3"));
        let y = subgenre_audio::load(&clip, &Default::default())
            .expect("load")
            .samples;
        let s_db = subgenre_extract::db_mel(&mut spec, &y).expect("mel");
        assert_eq!(s_db.dim(), (128, 345));
        let study = model_input(&s_db, MelVariant::Normal, InputRoute::StudyPng, 128);
        let (_, want) =
            read_npy(dir.join(format!("input/{id}.e2e_png_route128.npy"))).expect("npy");
        let mad = mean_abs(&study, &want);
        // The min-max scaling makes every pixel depend on the clip's quietest cell, often in
        // the top bands at the resampler's roll-off; with soxr-like roll-off they agree.
        assert!(
            mad < 0.01,
            "{id}: mean abs difference {mad} from the study's input"
        );
        let array = model_input(&s_db, MelVariant::Normal, InputRoute::Array, 128);
        eprintln!(
            "{id}: study-png vs study input MAD {mad:.4}; array route vs png route MAD {:.4}",
            mean_abs(&array, &study)
        );
    }
}
