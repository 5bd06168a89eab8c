//! Decibel conversion (`librosa.power_to_db`).

use ndarray::{Array, Array2, ArrayBase, ArrayView, DataMut, Dimension};

use crate::error::{invalid, Result};
use crate::kernels;

/// The reference power for 0 dB.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DbRef {
    /// The maximum of the input (`ref=np.max`).
    Max,
    /// A fixed value (`ref=1.0` is librosa's default).
    Value(f32),
}

impl Default for DbRef {
    fn default() -> Self {
        Self::Value(1.0)
    }
}

/// librosa's default `amin`.
pub const AMIN: f32 = 1e-10;
/// librosa's default `top_db`.
pub const TOP_DB: Option<f32> = Some(80.0);

/// `librosa.power_to_db(S, ref, amin, top_db)`: `10 * log10(max(amin, S) / max(amin, ref))`,
/// clipped from below at `max - top_db`. Computed in f32 like librosa for f32 input.
pub fn power_to_db(
    s: &Array2<f32>,
    reference: DbRef,
    amin: f32,
    top_db: Option<f32>,
) -> Result<Array2<f32>> {
    let mut out = s.clone();
    power_to_db_inplace(&mut out, reference, amin, top_db)?;
    Ok(out)
}

/// [`power_to_db`] in place, for any dimensionality.
pub fn power_to_db_inplace<S, D>(
    s: &mut ArrayBase<S, D>,
    reference: DbRef,
    amin: f32,
    top_db: Option<f32>,
) -> Result<()>
where
    S: DataMut<Elem = f32>,
    D: Dimension,
{
    check_db_params(amin, top_db)?;
    if let Some(values) = s.as_slice_memory_order_mut() {
        power_to_db_slice(values, reference, amin, top_db);
        return Ok(());
    }
    let ref_value = match reference {
        DbRef::Max => s.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v)),
        DbRef::Value(v) => v.abs(),
    };
    let offset = 10.0 * log10(amin.max(ref_value));
    let mut max = f32::NEG_INFINITY;
    s.map_inplace(|v| {
        *v = 10.0 * log10(amin.max(*v)) - offset;
        max = max.max(*v);
    });
    clip_below_top(s, max, top_db);
    Ok(())
}

kernels::avx2_dispatch! {
    /// [`power_to_db_inplace`] of values in memory (the same results to the bit, vectorised).
    fn power_to_db_slice(values: &mut [f32], reference: DbRef, amin: f32, top_db: Option<f32>)
        => power_to_db_slice_inlined
}

#[inline(always)]
fn power_to_db_slice_inlined(values: &mut [f32], reference: DbRef, amin: f32, top_db: Option<f32>) {
    let ref_value = match reference {
        DbRef::Max => kernels::max_f32(values),
        DbRef::Value(v) => v.abs(),
    };
    let offset = 10.0 * log10(amin.max(ref_value));
    let max = kernels::db_in_place(values, amin, offset);
    if let Some(top) = top_db {
        kernels::clip_below(values, max - top);
    }
}

/// `power_to_db(power, ref=np.max, amin, top_db)` of `power`, a part of a spectrogram whose dB
/// relative to 1 (`power_to_db_inplace(.., DbRef::Value(1.0), amin, None)`) is `db`: the same
/// values to the bit, without taking the logarithms again. For overlapping windows of one
/// spectrogram, where each value's logarithm serves every window over it.
pub fn db_relative_to_max<D: Dimension>(
    power: ArrayView<f32, D>,
    db: ArrayView<f32, D>,
    amin: f32,
    top_db: Option<f32>,
) -> Result<Array<f32, D>> {
    check_db_params(amin, top_db)?;
    if power.shape() != db.shape() {
        return Err(invalid(
            "db",
            db.len() as f32,
            "must have the shape of power",
        ));
    }
    let largest = power.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
    let offset = 10.0 * log10(amin.max(largest));
    let mut max = f32::NEG_INFINITY;
    let mut out = db.mapv(|v| {
        let v = v - offset;
        max = max.max(v);
        v
    });
    clip_below_top(&mut out, max, top_db);
    Ok(out)
}

/// librosa's `top_db` step: nothing below `max - top_db`.
fn clip_below_top<S, D>(s: &mut ArrayBase<S, D>, max: f32, top_db: Option<f32>)
where
    S: DataMut<Elem = f32>,
    D: Dimension,
{
    if let Some(top) = top_db {
        let floor = max - top;
        s.map_inplace(|v| *v = v.max(floor));
    }
}

/// `log10` of a positive finite f32, computed in f64 and rounded (glibc's `log10f`, which numpy
/// uses, can be 2 ulps off; this is within 1e-11 before rounding), faster and inlinable.
#[inline]
pub(crate) fn log10(x: f32) -> f32 {
    if !(x.is_normal() && x > 0.0) {
        return x.log10();
    }
    let bits = x.to_bits();
    let mut e = ((bits >> 23) & 0xff) as i32 - 127;
    let mut m = f64::from(f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000));
    if m > std::f64::consts::SQRT_2 {
        m *= 0.5;
        e += 1;
    }
    // ln(m) = 2 atanh(t), t = (m - 1) / (m + 1), |t| <= 0.1716: the series to t^11 is exact to
    // ~1e-11, far below f32 resolution.
    let t = (m - 1.0) / (m + 1.0);
    let t2 = t * t;
    let series =
        1.0 + t2 * (1.0 / 3.0 + t2 * (1.0 / 5.0 + t2 * (1.0 / 7.0 + t2 * (1.0 / 9.0 + t2 / 11.0))));
    let ln_m = 2.0 * t * series;
    (f64::from(e) * std::f64::consts::LOG10_2 + ln_m * std::f64::consts::LOG10_E) as f32
}

pub(crate) fn check_db_params(amin: f32, top_db: Option<f32>) -> Result<()> {
    if amin.is_nan() || amin <= 0.0 {
        return Err(invalid("amin", amin, "must be strictly positive"));
    }
    if let Some(t) = top_db {
        if t.is_nan() || t < 0.0 {
            return Err(invalid("top_db", t, "must be non-negative"));
        }
    }
    Ok(())
}

/// The same conversion for f64 values (`power_to_db` on a float64 array), used by
/// spectral contrast.
pub(crate) fn power_to_db_f64(s: &mut [f64], amin: f64, top_db: Option<f64>) {
    let mut max = f64::NEG_INFINITY;
    for v in s.iter_mut() {
        *v = 10.0 * amin.max(*v).log10();
        max = max.max(*v);
    }
    if let Some(top) = top_db {
        let floor = max - top;
        for v in s.iter_mut() {
            *v = v.max(floor);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DspError;
    use approx::assert_abs_diff_eq;
    use ndarray::array;

    #[test]
    fn a_part_from_its_db_relative_to_1_equals_its_own_conversion() -> Result<()> {
        let s = array![[1.0f32, 10.0, 100.0, 0.0], [1e-3, 1e5, 3.0, 1e-12]];
        let db = power_to_db(&s, DbRef::Value(1.0), AMIN, None)?;
        let part = ndarray::s![.., 1..3];
        let mut want = s.slice(part).to_owned();
        power_to_db_inplace(&mut want, DbRef::Max, AMIN, Some(80.0))?;
        assert_eq!(
            db_relative_to_max(s.slice(part), db.slice(part), AMIN, Some(80.0))?,
            want
        );
        assert!(db_relative_to_max(s.view(), db.slice(part), AMIN, None).is_err());
        Ok(())
    }

    #[test]
    fn known_values() -> Result<()> {
        let s = array![[1.0f32, 10.0, 100.0], [0.0, 1e-3, 1e5]];
        let db = power_to_db(&s, DbRef::Value(1.0), AMIN, None)?;
        let expect = array![[0.0f32, 10.0, 20.0], [-100.0, -30.0, 50.0]];
        for (a, b) in db.iter().zip(expect.iter()) {
            assert_abs_diff_eq!(*a, *b, epsilon = 1e-4);
        }
        let db = power_to_db(&s, DbRef::Value(1.0), AMIN, Some(80.0))?;
        assert_abs_diff_eq!(db[[1, 0]], -30.0, epsilon = 1e-4);
        let db = power_to_db(&s, DbRef::Max, AMIN, Some(80.0))?;
        assert_abs_diff_eq!(db[[1, 2]], 0.0, epsilon = 1e-5);
        assert_abs_diff_eq!(db[[0, 0]], -50.0, epsilon = 1e-4);
        assert_abs_diff_eq!(db[[1, 0]], -80.0, epsilon = 1e-4);
        Ok(())
    }

    #[test]
    fn fast_log10_is_within_two_ulps() {
        // glibc's (and so numpy's) float32 log10 is itself up to 2 ulps from correctly rounded.
        let ulps =
            |a: f32, b: f32| (i64::from(a.to_bits() as i32) - i64::from(b.to_bits() as i32)).abs();
        let mut x = 1e-12f32;
        while x < 1e12 {
            let (a, b) = (log10(x), x.log10());
            assert!(ulps(a, b) <= 2 || (a - b).abs() < 1e-12, "{x}: {a} vs {b}");
            x *= 1.000_37;
        }
        for x in [1.0f32, 10.0, 0.1, 1e-10, f32::MAX, f32::MIN_POSITIVE] {
            assert!(ulps(log10(x), x.log10()) <= 2);
        }
        assert_eq!(log10(1.0), 0.0);
        assert!(log10(0.0).is_infinite());
    }

    #[test]
    fn rejects_bad_params() {
        let s = array![[1.0f32]];
        assert!(matches!(
            power_to_db(&s, DbRef::Max, 0.0, None),
            Err(DspError::InvalidParam { name: "amin", .. })
        ));
        assert!(matches!(
            power_to_db(&s, DbRef::Max, AMIN, Some(-1.0)),
            Err(DspError::InvalidParam { name: "top_db", .. })
        ));
    }
}
