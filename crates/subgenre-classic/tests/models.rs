//! Every model on small synthetic data sets, the vote, and `run_baseline` end to end.

use std::path::PathBuf;

use ndarray::{Array2, Axis};
use subgenre_classic::boost::{BoostModel, BoostParams};
use subgenre_classic::svm::{SvmModel, SvmParams};
use subgenre_classic::{
    prepare, run_baseline, total_runs, BaselineConfig, FeatureTable, Labelled, Model, ModelName,
    Progress, Protocol, SoftVote, FIVE_CLASSES,
};
use subgenre_eval::{ClassificationReport, SplitMix64};

const K: usize = 5;

fn classes() -> Vec<String> {
    FIVE_CLASSES.iter().map(|s| s.to_string()).collect()
}

fn normal(rng: &mut SplitMix64) -> f64 {
    let u1 = rng.next_f64().max(1e-12);
    let u2 = rng.next_f64();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Gaussian blobs: `n` rows per class, `d` features, class centres 3 apart,
/// features on very different scales (as the study's: Hz next to ratios).
fn blobs(n: usize, d: usize, seed: u64) -> (Array2<f64>, Vec<usize>) {
    let mut rng = SplitMix64::new(seed);
    let mut centre_rng = SplitMix64::new(7);
    let centres: Vec<Vec<f64>> = (0..K)
        .map(|_| (0..d).map(|_| 3.0 * normal(&mut centre_rng)).collect())
        .collect();
    let scale: Vec<f64> = (0..d).map(|j| 10f64.powi(j as i32 % 4 - 1)).collect();
    let mut x = Array2::zeros((n * K, d));
    let mut y = Vec::with_capacity(n * K);
    for (c, centre) in centres.iter().enumerate() {
        for i in 0..n {
            let r = c * n + i;
            for (j, (&m, &s)) in centre.iter().zip(&scale).enumerate() {
                x[[r, j]] = (m + normal(&mut rng)) * s + 100.0 * j as f64;
            }
            y.push(c);
        }
    }
    (x, y)
}

fn standardised(n: usize, seed: u64) -> (Array2<f64>, Vec<usize>) {
    let (x, y) = blobs(n, 6, seed);
    let s = subgenre_classic::Standardizer::fit(x.view()).expect("fit");
    (s.transform(x.view()).expect("transform"), y)
}

fn accuracy(model: &dyn Model, x: &Array2<f64>, y: &[usize]) -> f64 {
    let pred = model.predict(x.view()).expect("predict");
    let p = model.predict_proba(x.view()).expect("proba");
    assert_eq!(p.dim(), (y.len(), K));
    for row in p.rows() {
        assert!((row.sum() - 1.0).abs() < 1e-6, "probabilities sum to 1");
        assert!(row.iter().all(|&v| (0.0..=1.0).contains(&v)));
    }
    ClassificationReport::new(y, &pred, &classes())
        .expect("report")
        .accuracy
}

fn check_beats_chance(mut model: Box<dyn Model>) {
    let (xtr, ytr) = standardised(60, 1);
    let (xva, yva) = standardised(20, 2);
    let (xte, yte) = standardised(40, 3);
    let train = Labelled::new(xtr.view(), &ytr).expect("train");
    let valid = Labelled::new(xva.view(), &yva).expect("valid");
    model.fit(train, Some(valid)).expect("fit");
    let acc = accuracy(model.as_ref(), &xte, &yte);
    assert!(acc > 0.8, "{} accuracy {acc} (chance 0.2)", model.name());
}

#[test]
fn svm_beats_chance() {
    check_beats_chance(Box::new(SvmModel::new(K, SvmParams::default())));
}

#[test]
fn svm_without_platt_folds_beats_chance() {
    check_beats_chance(Box::new(SvmModel::new(
        K,
        SvmParams {
            platt_folds: 0,
            ..SvmParams::default()
        },
    )));
}

#[test]
fn boost_beats_chance() {
    check_beats_chance(Box::new(BoostModel::new(K, BoostParams::default())));
}

#[cfg(feature = "xgboost")]
#[test]
fn xgboost_beats_chance() {
    check_beats_chance(
        subgenre_classic::build_model(ModelName::XgBoost, K, 42, 1, None, true).expect("build"),
    );
}

#[cfg(feature = "lightgbm")]
#[test]
fn lightgbm_beats_chance() {
    check_beats_chance(
        subgenre_classic::build_model(ModelName::LightGbm, K, 42, 1, None, true).expect("build"),
    );
}

#[test]
fn svm_handles_a_class_missing_from_training() {
    let (x, y) = standardised(30, 4);
    let keep: Vec<usize> = (0..y.len()).filter(|&i| y[i] != 2).collect();
    let xk = x.select(Axis(0), &keep);
    let yk: Vec<usize> = keep.iter().map(|&i| y[i]).collect();
    let mut m = SvmModel::new(K, SvmParams::default());
    m.fit(Labelled::new(xk.view(), &yk).expect("train"), None)
        .expect("fit");
    let p = m.predict_proba(x.view()).expect("proba");
    assert!(
        p.column(2).iter().all(|&v| v < 0.05),
        "an unseen class gets ~no mass"
    );
}

#[test]
fn vote_of_identical_models_equals_the_model() {
    let (xtr, ytr) = standardised(40, 5);
    let (xte, _) = standardised(10, 6);
    let train = Labelled::new(xtr.view(), &ytr).expect("train");
    let fit = || {
        let mut m = BoostModel::new(K, BoostParams::default());
        m.fit(train, None).expect("fit");
        m
    };
    let single = fit();
    let vote = SoftVote::new(vec![(Box::new(fit()), 0.3), (Box::new(fit()), 0.7)]).expect("vote");
    let a = single.predict_proba(xte.view()).expect("proba");
    let b = vote.predict_proba(xte.view()).expect("proba");
    for (u, v) in a.iter().zip(b.iter()) {
        assert!((u - v).abs() < 1e-12);
    }
    assert_eq!(
        single.predict(xte.view()).expect("p"),
        vote.predict(xte.view()).expect("p")
    );
    assert!(SoftVote::new(vec![(Box::new(fit()), 0.0)]).is_err());
}

/// A synthetic features table: 60 tracks, clips of a track share its class mostly.
fn table() -> FeatureTable {
    let mut rng = SplitMix64::new(11);
    let (x, y) = blobs(80, 6, 12);
    let mut csv = String::from("sample_id,spot_id,f1,f2,f3,f4,f5,f6,label\n");
    let names = classes();
    // Rows of each class in runs of 2..=8 clips per track.
    let mut track = 0;
    let mut left = 0;
    for (r, row) in x.rows().into_iter().enumerate() {
        if left == 0 || (r > 0 && y[r] != y[r - 1]) {
            track += 1;
            left = 2 + rng.index(7);
        }
        left -= 1;
        let vals: Vec<String> = row.iter().map(|v| format!("{v}")).collect();
        csv.push_str(&format!(
            "clip{r:04},track{track:03},{},{}\n",
            vals.join(","),
            names[y[r]]
        ));
    }
    csv.push_str("extra1,trackx,1,2,3,4,5,6,psytech\n");
    FeatureTable::from_reader(csv.as_bytes(), &PathBuf::from("synthetic.csv"), &classes())
        .expect("table")
}

#[test]
fn standardisation_uses_training_statistics_only() {
    let config = BaselineConfig::new(table());
    let prep = prepare(&config, 42).expect("prepare");
    let (xtr, _) = config.table.take(&prep.indices.train);
    let train_mean = xtr.mean_axis(Axis(0)).expect("mean");
    let all_mean = config.table.x.mean_axis(Axis(0)).expect("mean");
    for j in 0..train_mean.len() {
        assert!((prep.scaler.mean[j] - train_mean[j]).abs() < 1e-9);
    }
    assert!((0..train_mean.len()).any(|j| (prep.scaler.mean[j] - all_mean[j]).abs() > 1e-6));
    let col_means = prep.x_train.mean_axis(Axis(0)).expect("mean");
    assert!(
        col_means.iter().all(|m| m.abs() < 1e-9),
        "training part is centred"
    );
    assert_eq!(config.table.dropped.get("psytech"), Some(&1));
}

#[test]
fn run_baseline_group_protocol_end_to_end() {
    let mut config = BaselineConfig::new(table());
    config.models = ModelName::parse_list("svm,boost,vote").expect("models");
    config.vote = subgenre_classic::parse_weights("svm:0.5,boost:0.5").expect("weights");
    config.seeds = vec![42, 43];
    let mut done = 0;
    let mut splits = 0;
    let report = run_baseline(&config, &mut |p| match p {
        Progress::ModelDone { run, report, .. } => {
            done += 1;
            assert_eq!(run.weighted_f1, report.weighted_f1());
        }
        Progress::Split {
            sizes, unassigned, ..
        } => {
            splits += 1;
            assert!(sizes.iter().all(|&s| s > 0));
            assert_eq!(*unassigned, 0);
        }
        _ => {}
    })
    .expect("baseline");
    assert_eq!(done, total_runs(&config));
    assert_eq!(splits, 2);
    assert_eq!(report.protocol, "group");
    assert_eq!(report.runs.len(), 6);
    let models: Vec<&str> = report.summary.iter().map(|s| s.model.as_str()).collect();
    assert_eq!(models, ["svm", "boost", "vote"]);
    for s in &report.summary {
        assert!(
            s.weighted_f1_mean > 0.6,
            "{}: {}",
            s.model,
            s.weighted_f1_mean
        );
    }
    for r in &report.runs {
        assert!(r.fit_seconds > 0.0);
    }
    let vote = report
        .runs
        .iter()
        .find(|r| r.model == "vote")
        .expect("vote");
    assert!(vote
        .params
        .as_ref()
        .is_some_and(|p| p.contains_key("weight.svm")));
}

#[test]
fn run_baseline_study_protocol_and_tuning() {
    let mut config = BaselineConfig::new(table());
    config.models = vec![ModelName::Boost];
    config.protocol = Protocol::Study;
    config.seeds = vec![42];
    config.tune = 2;
    let mut steps = 0;
    let report = run_baseline(&config, &mut |p| {
        if let Progress::TuneStep { total, .. } = p {
            steps += 1;
            assert_eq!(*total, 2);
        }
    })
    .expect("baseline");
    assert_eq!(steps, 2);
    assert!(report.protocol.contains("leaky"));
    let params = report.runs[0]
        .params
        .as_ref()
        .expect("tuned params recorded");
    assert_eq!(params["tune_draws"], 2);
    assert!(report.runs[0].weighted_f1 > 0.6);
}

#[test]
fn model_selection_errors_are_clear() {
    let mut config = BaselineConfig::new(table());
    config.seeds.clear();
    assert!(run_baseline(&config, &mut |_| {}).is_err());
    if !cfg!(feature = "xgboost") {
        let e = ModelName::parse_list("svm,xgboost").expect_err("not built");
        assert!(e.to_string().contains("xgboost"));
        assert!(subgenre_classic::parse_weights("xgboost:0.5,svm:0.5").is_err());
    }
    assert!(subgenre_classic::parse_weights("svm:abc").is_err());
    assert!(subgenre_classic::parse_weights("vote:1").is_err());
}
