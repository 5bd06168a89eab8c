//! IEEE 754 half precision (float16) rounding, as numpy's `astype(np.float16)` does it
//! (round to nearest, ties to even; subnormals kept; overflow to infinity). Our own few lines
//! rather than the `half` crate, whose features would change how burn's dependencies build.

/// The float16 nearest `x` (ties to even), as its bits.
pub fn f32_to_f16_bits(x: f32) -> u16 {
    let bits = x.to_bits();
    let sign = ((bits >> 16) & 0x8000) as u16;
    let exp = ((bits >> 23) & 0xff) as i32;
    let mantissa = bits & 0x7f_ffff;
    if exp == 0xff {
        // Infinity stays infinity; any NaN becomes a quiet NaN.
        return sign | if mantissa == 0 { 0x7c00 } else { 0x7e00 };
    }
    // The float16 biased exponent.
    let e = exp - 127 + 15;
    if e >= 0x1f {
        return sign | 0x7c00;
    }
    let (q, rem, half) = if e <= 0 {
        // Subnormal float16: count units of 2^-24. The value is m * 2^(e - 14) such units.
        if e < -10 {
            return sign;
        }
        let m = mantissa | 0x80_0000;
        let shift = (14 - e) as u32;
        (m >> shift, m & ((1 << shift) - 1), 1u32 << (shift - 1))
    } else {
        (
            ((e as u32) << 10) | (mantissa >> 13),
            mantissa & 0x1fff,
            0x1000,
        )
    };
    // A carry out of the mantissa raises the exponent, to infinity at the top: both correct.
    let rounded = if rem > half || (rem == half && q & 1 == 1) {
        q + 1
    } else {
        q
    };
    sign | rounded as u16
}

/// The value of the float16 with bits `h`.
pub fn f16_bits_to_f32(h: u16) -> f32 {
    let sign = if h & 0x8000 != 0 { -1.0f32 } else { 1.0 };
    let exp = u32::from((h >> 10) & 0x1f);
    let mantissa = u32::from(h & 0x3ff);
    match exp {
        0 => sign * mantissa as f32 * 2f32.powi(-24),
        0x1f if mantissa == 0 => sign * f32::INFINITY,
        0x1f => f32::NAN,
        _ => f32::from_bits(
            (u32::from(h & 0x8000) << 16) | ((exp + 127 - 15) << 23) | (mantissa << 13),
        ),
    }
}

/// `x` rounded to float16 and back.
#[inline]
pub fn round_to_f16(x: f32) -> f32 {
    f16_bits_to_f32(f32_to_f16_bits(x))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        let two = |p: i32| 2f32.powi(p);
        let table: [(f32, f32); 16] = [
            (1.0, 1.0),
            (0.0, 0.0),
            (65504.0, 65504.0),
            (65519.0, 65504.0),
            (65520.0, f32::INFINITY),
            (1e10, f32::INFINITY),
            (two(-24), two(-24)),
            (two(-25), 0.0),
            (two(-25) * 1.5, two(-24)),
            (3.0 * two(-25), 2.0 * two(-24)),
            (1.0 + two(-11), 1.0),
            (1.0 + 3.0 * two(-11), 1.0 + two(-9)),
            (0.1, 0.099_975_585_937_5),
            (-0.1, -0.099_975_585_937_5),
            (-65520.0, f32::NEG_INFINITY),
            (two(-14), two(-14)),
        ];
        for (x, expected) in table {
            assert_eq!(round_to_f16(x), expected, "{x:e}");
        }
        // A subnormal: the nearest multiple of 2^-24 (3e-6 / 2^-24 = 50.33).
        assert_eq!(round_to_f16(3e-6), 50.0 * two(-24));
        assert_eq!(round_to_f16(-3e-6), -50.0 * two(-24));
        assert_eq!(f32_to_f16_bits(-0.0), 0x8000);
        assert_eq!(f32_to_f16_bits(1.0), 0x3c00);
        assert_eq!(f32_to_f16_bits(65504.0), 0x7bff);
        assert!(round_to_f16(f32::NAN).is_nan());
    }

    #[test]
    fn every_float16_round_trips() {
        for h in 0..=u16::MAX {
            let v = f16_bits_to_f32(h);
            if v.is_nan() {
                assert!(round_to_f16(v).is_nan());
            } else {
                assert_eq!(f32_to_f16_bits(v), h, "{h:#06x}");
            }
        }
    }
}
