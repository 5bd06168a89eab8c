//! Labelled inputs from class folders, and the plans' checks, without training anything.

use std::path::Path;

use subgenre_extract::image::Interpolation;
use subgenre_study::{
    silent, DataSource, GridKind, InputSize, LabelledInputs, StudyError, TrainPlan,
};

fn png(path: &Path, shade: u8) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    subgenre_extract::write_gray_png(path, 20, 20, &[shade; 400]).expect("png");
}

/// `dir/<class>/<n>.png` for each (class, n), plus one broken image in `b`.
fn folders(dir: &Path) {
    for (class, n) in [("a", 3), ("b", 2), ("c", 4)] {
        for i in 0..n {
            png(&dir.join(class).join(format!("{i}.png")), (i * 40) as u8);
        }
    }
    std::fs::write(dir.join("b").join("broken.png"), b"not a png").expect("write");
    std::fs::create_dir_all(dir.join("empty")).expect("mkdir");
}

#[test]
fn image_folders_give_one_input_per_image_with_failures_listed() {
    let dir = tempfile::tempdir().expect("tmp");
    folders(dir.path());
    let inputs = LabelledInputs::from_image_folders(
        dir.path(),
        16,
        Interpolation::Linear,
        Some(1),
        &silent(),
    )
    .expect("inputs");
    assert_eq!(inputs.classes, ["a", "b", "c"]);
    assert_eq!(inputs.len(), 9);
    assert_eq!(inputs.files, 9);
    assert_eq!(inputs.labels.iter().filter(|&&l| l == 2).count(), 4);
    assert!(inputs.pixels.iter().all(|p| p.len() == 16 * 16));
    assert_eq!(inputs.failures.len(), 1, "{:?}", inputs.failures);
    assert!(inputs.failures[0].0.ends_with("broken.png"));
    // Each image is its own group, named after its class folder.
    assert!(inputs.ids.contains(&"b/1.png".to_string()));
    assert_eq!(inputs.ids, inputs.groups);
    assert_eq!(inputs.per_class(), "a 3, b 2, c 4");
}

#[test]
fn a_model_s_classes_label_the_folders_and_others_are_skipped() {
    let dir = tempfile::tempdir().expect("tmp");
    folders(dir.path());
    let classes = vec!["c".to_string(), "x".to_string(), "a".to_string()];
    let skipped = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = skipped.clone();
    let progress: subgenre_study::Progress = std::sync::Arc::new(move |event| {
        if let subgenre_study::Event::Skipped { what, .. } = event {
            seen.lock().expect("lock").push(what.to_string());
        }
    });
    let inputs = LabelledInputs::from_image_folders_of(
        dir.path(),
        &classes,
        16,
        Interpolation::Area,
        Some(1),
        &progress,
    )
    .expect("inputs");
    assert_eq!(inputs.classes, classes);
    assert_eq!(inputs.len(), 7);
    assert_eq!(
        inputs.labels.iter().filter(|&&l| l == 0).count(),
        4,
        "c is class 0"
    );
    assert_eq!(
        inputs.labels.iter().filter(|&&l| l == 2).count(),
        3,
        "a is class 2"
    );
    let skipped = skipped.lock().expect("lock");
    assert!(skipped.iter().any(|s| s.ends_with("/b")), "{skipped:?}");
    assert!(skipped.iter().any(|s| s.ends_with("empty")), "{skipped:?}");
}

#[test]
fn fewer_than_two_readable_classes_is_an_error() {
    let dir = tempfile::tempdir().expect("tmp");
    png(&dir.path().join("good").join("0.png"), 9);
    std::fs::create_dir_all(dir.path().join("bad")).expect("mkdir");
    std::fs::write(dir.path().join("bad").join("0.png"), b"not a png").expect("write");
    let e =
        LabelledInputs::from_image_folders(dir.path(), 16, Interpolation::Linear, None, &silent())
            .expect_err("an error");
    assert!(e.to_string().contains("fewer than two classes"), "{e}");
}

#[test]
fn plans_name_the_setting_that_is_wrong() {
    let data = DataSource {
        root: "nowhere".into(),
        is_demo: false,
    };
    let plan = |kind| TrainPlan::new(kind, data.clone(), "out".into());
    assert!(plan(GridKind::Train).check().is_ok());
    let invalid = |p: TrainPlan| match p.check() {
        Err(StudyError::Invalid { name, .. }) => name,
        other => panic!("{other:?}"),
    };
    let mut p = plan(GridKind::Train);
    p.schedule.max_epochs = 0;
    assert_eq!(invalid(p), "epochs");
    let mut p = plan(GridKind::Experiment);
    p.final_fit = true;
    assert_eq!(invalid(p), "final");
    let mut p = plan(GridKind::Train);
    p.sizes = vec![InputSize::STUDY, InputSize::new(64).expect("size")];
    assert_eq!(invalid(p), "arch");
    let mut p = plan(GridKind::Experiment);
    p.seeds.clear();
    assert_eq!(invalid(p), "seeds");
    assert_eq!(plan(GridKind::Experiment).total_runs(), 5);
}
