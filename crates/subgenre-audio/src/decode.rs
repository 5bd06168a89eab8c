//! Decoding any supported file to mono samples at its own sample rate (symphonia).

use std::fs::File;
use std::ops::ControlFlow;
use std::path::Path;

use symphonia::core::codecs::audio::AudioDecoderOptions;
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, TrackType};
use symphonia::core::io::{MediaSource, MediaSourceStream};
use symphonia::core::meta::MetadataOptions;

use crate::error::{AudioError, Result};

/// Packets in a row that may fail to decode before a stream is declared corrupt. Single bad
/// packets are common in real MP3s (and skipped by every decoder); long runs mean garbage.
const MAX_CONSECUTIVE_DECODE_ERRORS: usize = 64;

/// What a file is, as found while decoding it.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamInfo {
    /// Container format, e.g. `mp3`, `wave`, `flac`, `ogg`, `isomp4`.
    pub container: &'static str,
    /// Codec, e.g. `mp3`, `pcm_s16le`, `flac`, `vorbis`, `aac`.
    pub codec: &'static str,
    /// The file's own sample rate in Hz.
    pub sample_rate: u32,
    /// Channels in the file (the decoded samples are always mixed to mono).
    pub channels: usize,
}

/// Mono samples at the file's own rate, plus what the file was.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub info: StreamInfo,
    /// Frames in the whole stream when it was decoded to the end, else `None`.
    pub total_frames: Option<u64>,
    pub samples: Vec<f32>,
}

/// Which part of the stream to keep, in frames at the native rate, and whether to keep its
/// channels apart.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FrameRange {
    pub start: u64,
    /// `None`: to the end of the stream.
    pub len: Option<u64>,
    /// Keep every channel, interleaved (frame by frame), instead of mixing them to mono.
    pub keep_channels: bool,
}

/// Decode `path` to mono (the plain mean of the channels, as `librosa.to_mono`), keeping the
/// frames in `range`. Encoder delay and padding are trimmed (symphonia applies the packets' trim
/// information, i.e. gapless playback), as libsndfile/mpg123 do for librosa.
pub(crate) fn decode_range(path: &Path, range: FrameRange) -> Result<Decoded> {
    let io = |source| AudioError::Io {
        path: path.to_owned(),
        source,
    };
    // Checked before opening: opening a named pipe would wait for a writer.
    let byte_len = crate::walk::regular_file(path).map_err(io)?.len();
    let file = File::open(path).map_err(io)?;
    decode_source(Box::new(file), byte_len, path, range)
}

/// How a streamed decode ended.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DecodeEnd {
    pub info: StreamInfo,
    /// Frames in the whole stream when it was decoded to the end, else `None`.
    pub total_frames: Option<u64>,
}

/// [`decode_range`] handing the samples to `sink` packet by packet instead of keeping them;
/// `sink` returns `Break` to stop early.
pub(crate) fn decode_range_into(
    path: &Path,
    range: FrameRange,
    sink: &mut dyn FnMut(&StreamInfo, &[f32]) -> ControlFlow<()>,
) -> Result<DecodeEnd> {
    let io = |source| AudioError::Io {
        path: path.to_owned(),
        source,
    };
    let byte_len = crate::walk::regular_file(path).map_err(io)?.len();
    let file = File::open(path).map_err(io)?;
    decode_source_into(Box::new(file), byte_len, path, range, sink)
}

/// Decode a whole in-memory file; `name` stands for the file in errors and its extension
/// hints at the format.
pub fn decode_bytes(bytes: Vec<u8>, name: impl AsRef<Path>) -> Result<Decoded> {
    let len = bytes.len() as u64;
    decode_source(
        Box::new(std::io::Cursor::new(bytes)),
        len,
        name.as_ref(),
        FrameRange::default(),
    )
}

fn decode_source(
    source: Box<dyn MediaSource>,
    byte_len: u64,
    path: &Path,
    range: FrameRange,
) -> Result<Decoded> {
    let mut samples: Vec<f32> = Vec::new();
    if let Some(len) = range.len {
        // A window of a file (a clip): its length is known, up to the channel count.
        samples.reserve(len.min(1 << 24) as usize);
    }
    let end = decode_source_into(source, byte_len, path, range, &mut |_, chunk| {
        samples.extend_from_slice(chunk);
        ControlFlow::Continue(())
    })?;
    Ok(Decoded {
        info: end.info,
        total_frames: end.total_frames,
        samples,
    })
}

fn decode_source_into(
    source: Box<dyn MediaSource>,
    byte_len: u64,
    path: &Path,
    range: FrameRange,
    sink: &mut dyn FnMut(&StreamInfo, &[f32]) -> ControlFlow<()>,
) -> Result<DecodeEnd> {
    if byte_len == 0 {
        return Err(AudioError::Empty {
            path: path.to_owned(),
        });
    }
    let mss = MediaSourceStream::new(source, Default::default());
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    let unsupported = |reason: String| AudioError::Unsupported {
        path: path.to_owned(),
        reason,
    };
    let mut format = symphonia::default::get_probe()
        .probe(
            &hint,
            mss,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .map_err(|e| match e {
            SymError::IoError(source) if source.kind() != std::io::ErrorKind::UnexpectedEof => {
                AudioError::Io {
                    path: path.to_owned(),
                    source,
                }
            }
            _ => unsupported("no known container format found".into()),
        })?;
    let container = format.format_info().short_name;

    let track = format
        .default_track(TrackType::Audio)
        .ok_or_else(|| AudioError::NoAudio {
            path: path.to_owned(),
        })?;
    let track_id = track.id;
    let params = track
        .codec_params
        .as_ref()
        .and_then(|p| p.audio())
        .ok_or_else(|| AudioError::NoAudio {
            path: path.to_owned(),
        })?
        .clone();
    let mut decoder = symphonia::default::get_codecs()
        .make_audio_decoder(&params, &AudioDecoderOptions::default())
        .map_err(|e| unsupported(format!("codec: {e}")))?;
    let codec = decoder.codec_info().short_name;

    let mut info = StreamInfo {
        container,
        codec,
        sample_rate: params.sample_rate.unwrap_or(0),
        channels: params.channels.as_ref().map_or(0, |c| c.count()),
    };

    let mut chunk: Vec<f32> = Vec::new();
    let mut planes: Vec<Vec<f32>> = Vec::new();
    let mut frame_pos: u64 = 0; // frames decoded so far (before the range is applied)
    let mut decoded_packets = 0usize;
    let mut consecutive_errors = 0usize;
    let mut reached_end = false;
    let range_end = range.len.map(|l| range.start.saturating_add(l));

    loop {
        if range_end.is_some_and(|end| frame_pos >= end) {
            break;
        }
        let packet = match format.next_packet() {
            Ok(Some(p)) => p,
            Ok(None) => {
                reached_end = true;
                break;
            }
            // A truncated file ends early: keep what was decoded, as libsndfile does.
            Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                reached_end = true;
                break;
            }
            Err(SymError::IoError(source)) => {
                return Err(AudioError::Io {
                    path: path.to_owned(),
                    source,
                })
            }
            Err(SymError::ResetRequired) => {
                reached_end = true;
                break;
            }
            Err(e) => {
                if decoded_packets > 0 {
                    // Demuxing failed after good audio (garbage appended, damaged tail).
                    reached_end = true;
                    break;
                }
                return Err(AudioError::Corrupt {
                    path: path.to_owned(),
                    reason: e.to_string(),
                });
            }
        };
        if packet.track_id != track_id {
            continue;
        }
        let buf = match decoder.decode(&packet) {
            Ok(buf) => buf,
            Err(SymError::DecodeError(_)) | Err(SymError::IoError(_)) => {
                consecutive_errors += 1;
                if consecutive_errors > MAX_CONSECUTIVE_DECODE_ERRORS {
                    return Err(AudioError::Corrupt {
                        path: path.to_owned(),
                        reason: format!("{consecutive_errors} packets in a row failed to decode"),
                    });
                }
                continue;
            }
            Err(e) => {
                return Err(AudioError::Corrupt {
                    path: path.to_owned(),
                    reason: e.to_string(),
                })
            }
        };
        consecutive_errors = 0;
        decoded_packets += 1;
        let spec = buf.spec();
        // Some containers only know the rate and layout once audio is decoded.
        if info.sample_rate == 0 {
            info.sample_rate = spec.rate();
        }
        if info.channels == 0 {
            info.channels = spec.channels().count();
        }
        let frames = buf.frames() as u64;
        if frames == 0 {
            continue;
        }
        // The part of this buffer that falls inside the wanted range.
        let lo = range.start.saturating_sub(frame_pos).min(frames) as usize;
        let hi = range_end.map_or(frames, |end| end.saturating_sub(frame_pos).min(frames)) as usize;
        frame_pos += frames;
        if lo >= hi {
            continue;
        }
        let n_planes = buf.num_planes();
        chunk.clear();
        if n_planes <= 1 {
            chunk.resize(frames as usize, 0.0);
            // Mono: copy, then drop what is outside the range.
            buf.copy_to_slice_interleaved(&mut chunk);
            chunk.truncate(hi);
            chunk.drain(..lo);
        } else if range.keep_channels {
            buf.copy_to_vecs_planar(&mut planes);
            chunk.reserve((hi - lo) * n_planes);
            for i in lo..hi {
                chunk.extend(planes.iter().map(|p| p[i]));
            }
        } else {
            buf.copy_to_vecs_planar(&mut planes);
            let scale = 1.0 / n_planes as f32;
            chunk.extend((lo..hi).map(|i| planes.iter().map(|p| p[i]).sum::<f32>() * scale));
        }
        if sink(&info, &chunk).is_break() {
            break;
        }
    }

    if decoded_packets == 0 {
        return Err(AudioError::NoAudio {
            path: path.to_owned(),
        });
    }
    if info.sample_rate == 0 {
        return Err(unsupported("unknown sample rate".into()));
    }
    if range.start > 0 && reached_end && frame_pos <= range.start {
        return Err(AudioError::OffsetPastEnd {
            path: path.to_owned(),
            offset_s: range.start as f64 / f64::from(info.sample_rate),
            length_s: frame_pos as f64 / f64::from(info.sample_rate),
        });
    }
    Ok(DecodeEnd {
        info,
        total_frames: reached_end.then_some(frame_pos),
    })
}

/// Decode a whole file to mono samples at its native rate.
pub fn decode(path: impl AsRef<Path>) -> Result<Decoded> {
    decode_range(path.as_ref(), FrameRange::default())
}
