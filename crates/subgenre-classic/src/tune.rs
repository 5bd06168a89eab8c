//! Random search over the study's hyper-parameter grids.
//!
//! As scikit-learn's `ParameterSampler` with list-valued grids: `n` distinct
//! points drawn without replacement from the full grid (all of it when `n`
//! is at least its size), from this project's seeded generator.

use std::collections::BTreeMap;

use subgenre_eval::SplitMix64;

/// A grid: parameter name → candidate values.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid(pub Vec<(&'static str, Vec<f64>)>);

/// One point of a grid.
pub type Point = BTreeMap<&'static str, f64>;

impl Grid {
    /// Number of points.
    pub fn size(&self) -> usize {
        self.0.iter().map(|(_, v)| v.len().max(1)).product()
    }

    /// The point with mixed-radix index `i`.
    pub fn point(&self, mut i: usize) -> Point {
        let mut p = Point::new();
        for (name, values) in self.0.iter().rev() {
            let n = values.len().max(1);
            if let Some(&v) = values.get(i % n) {
                p.insert(name, v);
            }
            i /= n;
        }
        p
    }

    /// `n` distinct points drawn at random.
    pub fn sample(&self, n: usize, seed: u64) -> Vec<Point> {
        let size = self.size();
        let mut rng = SplitMix64::new(seed);
        if n >= size {
            let mut all: Vec<usize> = (0..size).collect();
            rng.shuffle(&mut all);
            return all.into_iter().map(|i| self.point(i)).collect();
        }
        let mut chosen: Vec<usize> = Vec::with_capacity(n);
        while chosen.len() < n {
            let i = rng.index(size);
            if !chosen.contains(&i) {
                chosen.push(i);
            }
        }
        chosen.into_iter().map(|i| self.point(i)).collect()
    }
}

/// The study's XGBoost grid (also used for the pure-Rust booster). `rounds`
/// is `n_estimators`; the study also listed `tree_method: hist`, XGBoost's
/// default since 2.0.
pub fn xgboost_grid() -> Grid {
    Grid(vec![
        ("max_depth", vec![4.0, 6.0, 8.0, 10.0]),
        ("eta", vec![0.30, 0.15, 0.07, 0.03]),
        ("rounds", vec![200.0, 400.0, 800.0, 1200.0]),
        ("subsample", vec![0.7, 0.85, 1.0]),
        ("colsample_bytree", vec![0.6, 0.8, 1.0]),
        ("min_child_weight", vec![1.0, 3.0, 5.0]),
        ("gamma", vec![0.0, 0.5, 1.0]),
        ("alpha", vec![0.0, 1.0]),
        ("lambda", vec![0.0, 1.0]),
    ])
}

/// The study's LightGBM grid (`max_depth` -1 = no limit).
pub fn lightgbm_grid() -> Grid {
    Grid(vec![
        ("max_depth", vec![4.0, 6.0, 8.0, -1.0]),
        ("learning_rate", vec![0.20, 0.10, 0.05]),
        ("rounds", vec![400.0, 800.0, 1600.0]),
        ("feature_fraction", vec![0.7, 0.85, 1.0]),
        ("bagging_fraction", vec![0.7, 0.85, 1.0]),
        ("bagging_freq", vec![0.0, 5.0]),
        ("min_child_samples", vec![10.0, 25.0, 50.0]),
        ("min_split_gain", vec![0.0, 0.2]),
        ("reg_alpha", vec![0.0, 0.5]),
        ("reg_lambda", vec![0.0, 1.0]),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampling_is_seeded_distinct_and_on_grid() {
        let g = xgboost_grid();
        assert_eq!(g.size(), 4 * 4 * 4 * 3 * 3 * 3 * 3 * 2 * 2);
        let a = g.sample(25, 42);
        assert_eq!(a, g.sample(25, 42));
        assert_ne!(a, g.sample(25, 43));
        assert_eq!(a.len(), 25);
        for (i, p) in a.iter().enumerate() {
            assert_eq!(p.len(), 9);
            for (name, values) in &g.0 {
                assert!(values.contains(&p[name]));
            }
            assert!(!a[..i].contains(p), "points are distinct");
        }
        let small = Grid(vec![("a", vec![1.0, 2.0]), ("b", vec![3.0])]);
        let all = small.sample(10, 1);
        assert_eq!(all.len(), 2);
        assert_eq!(lightgbm_grid().point(0)["max_depth"], 4.0);
    }
}
