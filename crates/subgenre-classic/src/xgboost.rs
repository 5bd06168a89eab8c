//! Real XGBoost (cargo feature `xgboost`), through a small safe wrapper over
//! its C API (`xgboost_lib-sys` built from source with `local_build`).
//!
//! Study defaults: `objective = multi:softprob`, `eval_metric = mlogloss`,
//! max_depth 6, eta 0.1, subsample 0.9, colsample_bytree 0.9, up to 600
//! rounds, early stopping after 30 rounds without a lower validation
//! mlogloss (as `xgb.train(..., early_stopping_rounds=30)`). Prediction uses
//! the trees up to the best round (the scikit-learn wrapper's behaviour; the
//! study's native `Booster.predict` kept the 30 extra rounds).

use std::collections::BTreeMap;
use std::ffi::{CStr, CString};
use std::os::raw::c_char;
use std::sync::Mutex;

use ndarray::{Array2, ArrayView2};
use serde_json::json;
use xgboost_sys as sys;

use crate::boost::BoostParams;
use crate::error::{ClassicError, Result};
use crate::model::{normalise_rows, Labelled, Model};

fn last_error() -> String {
    // SAFETY: XGBGetLastError returns a pointer to a thread-local, NUL-terminated string.
    unsafe {
        let p = sys::XGBGetLastError();
        if p.is_null() {
            String::new()
        } else {
            CStr::from_ptr(p).to_string_lossy().into_owned()
        }
    }
}

fn check(call: &'static str, ret: i32) -> Result<()> {
    if ret == 0 {
        Ok(())
    } else {
        Err(ClassicError::XgBoost {
            call,
            message: last_error(),
        })
    }
}

fn cstring(call: &'static str, s: &str) -> Result<CString> {
    CString::new(s).map_err(|_| ClassicError::XgBoost {
        call,
        message: format!("string {s:?} holds a NUL byte"),
    })
}

struct DMatrix(sys::DMatrixHandle);

impl DMatrix {
    fn new(x: ArrayView2<'_, f64>, y: Option<&[usize]>, weights: Option<&[f32]>) -> Result<Self> {
        let data: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        let mut handle: sys::DMatrixHandle = std::ptr::null_mut();
        // SAFETY: `data` holds nrows * ncols row-major floats and outlives the call (XGBoost copies it).
        check("XGDMatrixCreateFromMat", unsafe {
            sys::XGDMatrixCreateFromMat(
                data.as_ptr(),
                x.nrows() as u64,
                x.ncols() as u64,
                f32::NAN,
                &mut handle,
            )
        })?;
        let m = DMatrix(handle);
        if let Some(y) = y {
            let labels: Vec<f32> = y.iter().map(|&c| c as f32).collect();
            m.set_info("label", &labels)?;
        }
        if let Some(w) = weights {
            m.set_info("weight", w)?;
        }
        Ok(m)
    }

    fn set_info(&self, field: &str, values: &[f32]) -> Result<()> {
        let f = cstring("XGDMatrixSetFloatInfo", field)?;
        // SAFETY: the handle is live and `values` has `len` floats.
        check("XGDMatrixSetFloatInfo", unsafe {
            sys::XGDMatrixSetFloatInfo(self.0, f.as_ptr(), values.as_ptr(), values.len() as u64)
        })
    }
}

impl Drop for DMatrix {
    fn drop(&mut self) {
        // SAFETY: created by XGDMatrixCreateFromMat and freed once.
        unsafe {
            sys::XGDMatrixFree(self.0);
        }
    }
}

struct Booster(sys::BoosterHandle);

// SAFETY: an XGBoost booster is a heap object with no thread affinity; all
// access goes through `&mut` or the Mutex in `XgBoostModel`.
unsafe impl Send for Booster {}

impl Drop for Booster {
    fn drop(&mut self) {
        // SAFETY: created by XGBoosterCreate and freed once.
        unsafe {
            sys::XGBoosterFree(self.0);
        }
    }
}

impl Booster {
    fn new(cache: &[&DMatrix]) -> Result<Self> {
        let handles: Vec<sys::DMatrixHandle> = cache.iter().map(|d| d.0).collect();
        let mut h: sys::BoosterHandle = std::ptr::null_mut();
        // SAFETY: `handles` are live DMatrix handles.
        check("XGBoosterCreate", unsafe {
            sys::XGBoosterCreate(handles.as_ptr(), handles.len() as u64, &mut h)
        })?;
        Ok(Booster(h))
    }

    fn set(&self, name: &str, value: &str) -> Result<()> {
        let (n, v) = (
            cstring("XGBoosterSetParam", name)?,
            cstring("XGBoosterSetParam", value)?,
        );
        // SAFETY: live handle, NUL-terminated strings.
        check("XGBoosterSetParam", unsafe {
            sys::XGBoosterSetParam(self.0, n.as_ptr(), v.as_ptr())
        })
    }

    fn update(&self, iter: i32, train: &DMatrix) -> Result<()> {
        // SAFETY: live handles.
        check("XGBoosterUpdateOneIter", unsafe {
            sys::XGBoosterUpdateOneIter(self.0, iter, train.0)
        })
    }

    /// The first metric's value on `data` after round `iter`.
    fn eval(&self, iter: i32, data: &DMatrix) -> Result<f64> {
        let name = cstring("XGBoosterEvalOneIter", "val")?;
        let mut dmats = [data.0];
        let mut names: [*const c_char; 1] = [name.as_ptr()];
        let mut out: *const c_char = std::ptr::null();
        // SAFETY: one live DMatrix and one name; XGBoost owns the returned string until the next call.
        check("XGBoosterEvalOneIter", unsafe {
            sys::XGBoosterEvalOneIter(
                self.0,
                iter,
                dmats.as_mut_ptr(),
                names.as_mut_ptr(),
                1,
                &mut out,
            )
        })?;
        // SAFETY: `out` is a NUL-terminated string owned by XGBoost.
        let text = unsafe { CStr::from_ptr(out) }
            .to_string_lossy()
            .into_owned();
        // "[12]\tval-mlogloss:0.81234"
        text.rsplit(':')
            .next()
            .and_then(|v| v.trim().parse::<f64>().ok())
            .ok_or(ClassicError::XgBoost {
                call: "XGBoosterEvalOneIter",
                message: format!("cannot read the metric from {text:?}"),
            })
    }

    fn predict(
        &self,
        data: &DMatrix,
        rows: usize,
        k: usize,
        iteration_end: usize,
    ) -> Result<Array2<f64>> {
        let config = cstring(
            "XGBoosterPredictFromDMatrix",
            &json!({"type": 0, "training": false, "iteration_begin": 0,
                    "iteration_end": iteration_end, "strict_shape": true})
            .to_string(),
        )?;
        let mut shape: *const u64 = std::ptr::null();
        let mut dim: u64 = 0;
        let mut out: *const f32 = std::ptr::null();
        // SAFETY: live handles; XGBoost owns the output buffers until the next call on this booster.
        check("XGBoosterPredictFromDMatrix", unsafe {
            sys::XGBoosterPredictFromDMatrix(
                self.0,
                data.0,
                config.as_ptr(),
                &mut shape,
                &mut dim,
                &mut out,
            )
        })?;
        let n = rows * k;
        if out.is_null() || dim != 2 {
            return Err(ClassicError::XgBoost {
                call: "XGBoosterPredictFromDMatrix",
                message: format!("unexpected output of {dim} dimensions"),
            });
        }
        // SAFETY: strict_shape gives a [rows, num_class] float buffer.
        let values = unsafe { std::slice::from_raw_parts(out, n) };
        Array2::from_shape_vec((rows, k), values.iter().map(|&v| f64::from(v)).collect()).map_err(
            |e| ClassicError::XgBoost {
                call: "XGBoosterPredictFromDMatrix",
                message: e.to_string(),
            },
        )
    }
}

/// XGBoost `multi:softprob`.
pub struct XgBoostModel {
    params: BoostParams,
    n_classes: usize,
    threads: usize,
    booster: Option<Mutex<Booster>>,
    best_rounds: usize,
}

impl XgBoostModel {
    /// An untrained model; `threads` 0 lets XGBoost use every core.
    pub fn new(n_classes: usize, params: BoostParams, threads: usize) -> Self {
        Self {
            params,
            n_classes,
            threads,
            booster: None,
            best_rounds: 0,
        }
    }
}

impl Model for XgBoostModel {
    fn name(&self) -> &str {
        "xgboost"
    }

    fn fit(&mut self, train: Labelled<'_>, valid: Option<Labelled<'_>>) -> Result<()> {
        let p = &self.params;
        let weights: Option<Vec<f32>> = if p.balanced {
            let w = subgenre_eval::balanced_class_weights(train.y, self.n_classes)?;
            Some(train.y.iter().map(|&c| w[c] as f32).collect())
        } else {
            None
        };
        let dtrain = DMatrix::new(train.x, Some(train.y), weights.as_deref())?;
        let dvalid = match valid {
            Some(v) => Some(DMatrix::new(v.x, Some(v.y), None)?),
            None => None,
        };
        let mut cache = vec![&dtrain];
        if let Some(v) = &dvalid {
            cache.push(v);
        }
        let b = Booster::new(&cache)?;
        let settings = [
            ("objective", "multi:softprob".to_owned()),
            ("num_class", self.n_classes.to_string()),
            ("eval_metric", "mlogloss".to_owned()),
            ("max_depth", p.max_depth.to_string()),
            ("eta", p.eta.to_string()),
            ("subsample", p.subsample.to_string()),
            ("colsample_bytree", p.colsample_bytree.to_string()),
            ("min_child_weight", p.min_child_weight.to_string()),
            ("gamma", p.gamma.to_string()),
            ("alpha", p.alpha.to_string()),
            ("lambda", p.lambda.to_string()),
            ("tree_method", "hist".to_owned()),
            ("seed", (p.seed % (1 << 31)).to_string()),
            ("nthread", self.threads.to_string()),
            ("verbosity", "0".to_owned()),
        ];
        for (k, v) in &settings {
            b.set(k, v)?;
        }
        let mut best = (f64::INFINITY, 0usize);
        let mut rounds = 0;
        for i in 0..p.rounds {
            b.update(i as i32, &dtrain)?;
            rounds = i + 1;
            if let (Some(patience), Some(dv)) = (p.early_stopping, dvalid.as_ref()) {
                let loss = b.eval(i as i32, dv)?;
                if loss < best.0 {
                    best = (loss, i);
                } else if i - best.1 >= patience {
                    break;
                }
            }
        }
        self.best_rounds = if p.early_stopping.is_some() && dvalid.is_some() {
            best.1 + 1
        } else {
            rounds
        };
        self.booster = Some(Mutex::new(b));
        Ok(())
    }

    fn predict_proba(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        let lock = self.booster.as_ref().ok_or(ClassicError::InvalidParam {
            name: "xgboost",
            reason: "predict before fit".into(),
        })?;
        let b = lock.lock().map_err(|_| ClassicError::XgBoost {
            call: "predict",
            message: "a previous call panicked".into(),
        })?;
        let d = DMatrix::new(x, None, None)?;
        let mut p = b.predict(&d, x.nrows(), self.n_classes, self.best_rounds)?;
        normalise_rows(&mut p);
        Ok(p)
    }

    fn params(&self) -> BTreeMap<String, serde_json::Value> {
        let mut m = self.params.to_map();
        m.insert("best_rounds".into(), json!(self.best_rounds));
        m
    }
}
