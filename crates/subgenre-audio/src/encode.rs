//! Writing mono clips as 16-bit WAV or FLAC, atomically.

use std::path::Path;

use crate::error::{AudioError, Result};

/// Output formats of [`write_clip`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClipFormat {
    Wav,
    Flac,
}

impl ClipFormat {
    pub fn extension(self) -> &'static str {
        match self {
            ClipFormat::Wav => "wav",
            ClipFormat::Flac => "flac",
        }
    }
}

/// Samples in [-1, 1] to 16-bit integers (clipped), as soundfile writes PCM_16.
fn to_i16(samples: &[f32]) -> impl Iterator<Item = i16> + '_ {
    samples
        .iter()
        .map(|s| (s.clamp(-1.0, 1.0) * 32767.0).round() as i16)
}

/// Write mono `samples` at `sample_rate` to `path` (temporary file, then rename).
pub fn write_clip(
    path: &Path,
    samples: &[f32],
    sample_rate: u32,
    format: ClipFormat,
) -> Result<()> {
    let io = |source: std::io::Error| AudioError::Io {
        path: path.to_owned(),
        source,
    };
    let bytes = match format {
        ClipFormat::Wav => wav_bytes(samples, sample_rate).map_err(|e| AudioError::Corrupt {
            path: path.to_owned(),
            reason: format!("WAV encoding failed: {e}"),
        })?,
        ClipFormat::Flac => {
            flac_bytes(samples, sample_rate).map_err(|reason| AudioError::Corrupt {
                path: path.to_owned(),
                reason: format!("FLAC encoding failed: {reason}"),
            })?
        }
    };
    subgenre_core::write_atomic(path, &bytes).map_err(io)
}

fn wav_bytes(samples: &[f32], sample_rate: u32) -> std::result::Result<Vec<u8>, hound::Error> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut cursor = std::io::Cursor::new(Vec::with_capacity(44 + samples.len() * 2));
    {
        let mut writer = hound::WavWriter::new(&mut cursor, spec)?;
        let mut w16 = writer.get_i16_writer(samples.len() as u32);
        for s in to_i16(samples) {
            w16.write_sample(s);
        }
        w16.flush()?;
        writer.finalize()?;
    }
    Ok(cursor.into_inner())
}

fn flac_bytes(samples: &[f32], sample_rate: u32) -> std::result::Result<Vec<u8>, String> {
    use flacenc::component::BitRepr;
    use flacenc::error::Verify;
    let config = flacenc::config::Encoder::default()
        .into_verified()
        .map_err(|(_, e)| format!("{e:?}"))?;
    let ints: Vec<i32> = to_i16(samples).map(i32::from).collect();
    let source = flacenc::source::MemSource::from_samples(&ints, 1, 16, sample_rate as usize);
    let stream = flacenc::encode_with_fixed_block_size(&config, source, config.block_size)
        .map_err(|e| format!("{e:?}"))?;
    let mut sink = flacenc::bitsink::ByteSink::new();
    stream.write(&mut sink).map_err(|e| format!("{e:?}"))?;
    let mut bytes = sink.as_slice().to_vec();
    // STREAMINFO (right after "fLaC" and its 4-byte block header) holds the minimum and maximum
    // block sizes. The format says the minimum excludes the last, shorter block; flacenc counts
    // it, which makes symphonia read the stream as variable-block and refuse it.
    if bytes.len() >= 12 && &bytes[..4] == b"fLaC" {
        let max = [bytes[10], bytes[11]];
        bytes[8..10].copy_from_slice(&max);
    }
    Ok(bytes)
}
