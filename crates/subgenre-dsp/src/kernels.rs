//! Hot loops written so the compiler vectorises them, and compiled a second time for AVX2,
//! chosen at run time ([`avx2`]). The arithmetic is the same IEEE operations in the same order
//! either way (Rust never contracts a multiply and an add into an FMA), so both versions give
//! the same bits.

/// `$vis fn $name(args) -> R`, running `$inner(args)` compiled for AVX2 when the CPU has it
/// (detected at run time) and as usual otherwise. `$inner` and what it inlines (the kernels
/// here are `#[inline(always)]`) get the wider registers; calls that are not inlined (the FFT)
/// run as they would anyway.
macro_rules! avx2_dispatch {
    ($(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)?
        => $inner:path) => {
        $(#[$meta])*
        $vis fn $name($($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx,avx2")]
                fn with_avx2($($arg: $ty),*) $(-> $ret)? {
                    $inner($($arg),*)
                }
                if std::is_x86_feature_detected!("avx2") {
                    // SAFETY: the CPU has AVX and AVX2, checked just above.
                    return unsafe { with_avx2($($arg),*) };
                }
            }
            $inner($($arg),*)
        }
    };
}
pub(crate) use avx2_dispatch;

/// The index of the first non-finite value of `y`, if any (a vectorised scan; the position is
/// searched only when there is one).
#[inline(always)]
pub(crate) fn first_non_finite(y: &[f32]) -> Option<usize> {
    const BLOCK: usize = 256;
    for (b, block) in y.chunks(BLOCK).enumerate() {
        let all_finite = block.iter().fold(true, |ok, &v| {
            ok & (v.to_bits() & 0x7f80_0000 != 0x7f80_0000)
        });
        if !all_finite {
            let i = block.iter().position(|v| !v.is_finite()).unwrap_or(0);
            return Some(b * BLOCK + i);
        }
    }
    None
}

/// The largest value of `v` (`f32::max` semantics: NaNs are skipped), `-inf` when empty.
#[inline(always)]
pub(crate) fn max_f32(v: &[f32]) -> f32 {
    let mut acc = [f32::NEG_INFINITY; 8];
    let mut chunks = v.chunks_exact(8);
    for c in &mut chunks {
        for i in 0..8 {
            acc[i] = acc[i].max(c[i]);
        }
    }
    let mut m = chunks
        .remainder()
        .iter()
        .fold(f32::NEG_INFINITY, |m, &x| m.max(x));
    for a in acc {
        m = m.max(a);
    }
    m
}

/// [`crate::db::log10`] for a positive normal `x`, without branches (vectorises). The same
/// operations, so the same result.
#[inline(always)]
pub(crate) fn log10_normal(x: f32) -> f32 {
    let bits = x.to_bits();
    let e = ((bits >> 23) & 0xff) as i32 - 127;
    let m = f64::from(f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000));
    let big = m > std::f64::consts::SQRT_2;
    // m * 0.5 is exact.
    let m = if big { m * 0.5 } else { m };
    let e = e + i32::from(big);
    let t = (m - 1.0) / (m + 1.0);
    let t2 = t * t;
    let series =
        1.0 + t2 * (1.0 / 3.0 + t2 * (1.0 / 5.0 + t2 * (1.0 / 7.0 + t2 * (1.0 / 9.0 + t2 / 11.0))));
    let ln_m = 2.0 * t * series;
    (f64::from(e) * std::f64::consts::LOG10_2 + ln_m * std::f64::consts::LOG10_E) as f32
}

#[inline(always)]
fn is_positive_normal(x: f32) -> bool {
    let exp = x.to_bits() & 0xff80_0000;
    // Sign clear and the exponent field neither 0 (zero, subnormal) nor 255 (inf, NaN).
    exp != 0 && exp < 0x7f80_0000
}

/// `v = 10 log10(max(amin, v)) - offset` for every value, as `power_to_db` computes it;
/// returns the largest result (`-inf` when empty).
#[inline(always)]
pub(crate) fn db_in_place(v: &mut [f32], amin: f32, offset: f32) -> f32 {
    const BLOCK: usize = 64;
    let mut max = f32::NEG_INFINITY;
    for block in v.chunks_mut(BLOCK) {
        let all_normal = block
            .iter()
            .fold(true, |ok, &x| ok & is_positive_normal(amin.max(x)));
        if all_normal {
            for x in block.iter_mut() {
                *x = 10.0 * log10_normal(amin.max(*x)) - offset;
            }
        } else {
            for x in block.iter_mut() {
                *x = 10.0 * crate::db::log10(amin.max(*x)) - offset;
            }
        }
        max = max.max(max_f32(block));
    }
    max
}

/// `v = max(v, floor)` for every value.
#[inline(always)]
pub(crate) fn clip_below(v: &mut [f32], floor: f32) {
    for x in v.iter_mut() {
        *x = x.max(floor);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_branch_free_log10_is_the_scalar_one() {
        let mut x = f32::MIN_POSITIVE;
        while x < 1e30 {
            assert_eq!(
                log10_normal(x).to_bits(),
                crate::db::log10(x).to_bits(),
                "{x}"
            );
            x *= 1.000_91;
        }
        assert!(is_positive_normal(1e-10));
        for bad in [0.0, -1.0, 1e-40, f32::INFINITY, f32::NAN, -0.0] {
            assert!(!is_positive_normal(bad));
        }
    }

    #[test]
    fn db_in_place_handles_odd_values_and_finds_the_max() {
        let mut v: Vec<f32> = (0..200).map(|i| i as f32 * 0.37).collect();
        v[5] = f32::INFINITY;
        v[70] = 0.0;
        v[71] = 1e-40;
        let want: Vec<f32> = v
            .iter()
            .map(|&x| 10.0 * crate::db::log10(1e-30f32.max(x)) - 1.5)
            .collect();
        let max = db_in_place(&mut v, 1e-30, 1.5);
        assert_eq!(max, f32::INFINITY);
        for (a, b) in v.iter().zip(&want) {
            assert_eq!(a.to_bits(), b.to_bits());
        }
        assert_eq!(max_f32(&[1.0, f32::NAN, 3.0]), 3.0);
        assert_eq!(first_non_finite(&[0.0; 1000]), None);
        let mut y = vec![0.0f32; 1000];
        y[700] = f32::NAN;
        y[900] = f32::INFINITY;
        assert_eq!(first_non_finite(&y), Some(700));
    }
}
