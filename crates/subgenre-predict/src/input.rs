//! What a saved model takes, as a typed value read from its spec's `input` (every model saved
//! so far reads back, the three shipped ones included), and written back the same way.

use std::path::PathBuf;

use serde_json::json;
use subgenre_cnn::InputSpec;
use subgenre_extract::image::Interpolation;
use subgenre_extract::{InputRoute, MelVariant};

/// A model's input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelInput {
    /// Mel-spectrograms of 8 s of audio: what `subgenre predict` makes from any track.
    Mel {
        variant: MelVariant,
        route: InputRoute,
        size: usize,
    },
    /// A data set's clip images, `DIR/<sample_id>.png` (`train --images DIR`), named after
    /// the mel variant they picture.
    ClipImages {
        variant: MelVariant,
        dir: PathBuf,
        size: usize,
    },
    /// Images of class folders, read grey and resized by `resize` (`transfer --images`).
    Images {
        resize: Interpolation,
        dir: Option<PathBuf>,
        size: usize,
    },
}

impl ModelInput {
    /// Read a spec's input; the reason says what is not understood.
    pub fn from_spec(spec: &InputSpec) -> Result<Self, String> {
        let size = spec.size;
        let route = spec.extra.get("route").and_then(|v| v.as_str());
        let images_dir = route
            .and_then(|r| r.strip_prefix("images:"))
            .map(PathBuf::from);
        if spec.variant == "image" {
            let resize = match spec.extra.get("resize").and_then(|v| v.as_str()) {
                None => Interpolation::Linear,
                Some(name) => name.parse().map_err(|e| format!("{e}"))?,
            };
            return Ok(ModelInput::Images {
                resize,
                dir: images_dir,
                size,
            });
        }
        let variant: MelVariant = spec.variant.parse().map_err(|_| {
            format!(
                "its input `{}` is not a mel variant (normal or low)",
                spec.variant
            )
        })?;
        match (route, images_dir) {
            (_, Some(dir)) => Ok(ModelInput::ClipImages { variant, dir, size }),
            (None, None) => Ok(ModelInput::Mel {
                variant,
                route: InputRoute::Array,
                size,
            }),
            (Some(r), None) => Ok(ModelInput::Mel {
                variant,
                route: r.parse().map_err(|e| format!("{e}"))?,
                size,
            }),
        }
    }

    /// The spec to save with a model.
    pub fn to_spec(&self) -> InputSpec {
        match self {
            ModelInput::Mel {
                variant,
                route,
                size,
            } => {
                let mut spec = InputSpec::new(variant.name(), *size);
                spec.extra.insert("route".into(), json!(route.name()));
                spec
            }
            ModelInput::ClipImages { variant, dir, size } => {
                let mut spec = InputSpec::new(variant.name(), *size);
                spec.extra
                    .insert("route".into(), json!(format!("images:{}", dir.display())));
                spec
            }
            ModelInput::Images { resize, dir, size } => {
                let mut spec = InputSpec::new("image", *size);
                if let Some(dir) = dir {
                    spec.extra
                        .insert("route".into(), json!(format!("images:{}", dir.display())));
                }
                spec.extra.insert("gray".into(), json!("opencv-imread"));
                spec.extra.insert("resize".into(), json!(resize.name()));
                spec
            }
        }
    }

    /// The side of the square input.
    pub fn size(&self) -> usize {
        match self {
            ModelInput::Mel { size, .. }
            | ModelInput::ClipImages { size, .. }
            | ModelInput::Images { size, .. } => *size,
        }
    }

    /// The mel variant and route, for a model that reads audio.
    pub fn audio(&self) -> Option<(MelVariant, InputRoute)> {
        match self {
            ModelInput::Mel { variant, route, .. } => Some((*variant, *route)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_what_it_writes() {
        let inputs = [
            ModelInput::Mel {
                variant: MelVariant::Low,
                route: InputRoute::StudyPng,
                size: 256,
            },
            ModelInput::ClipImages {
                variant: MelVariant::Normal,
                dir: "melgrams/normal".into(),
                size: 128,
            },
            ModelInput::Images {
                resize: Interpolation::Area,
                dir: Some("gtzan/images".into()),
                size: 128,
            },
        ];
        for input in inputs {
            assert_eq!(ModelInput::from_spec(&input.to_spec()), Ok(input));
        }
    }

    #[test]
    fn a_spec_without_a_route_is_the_array_route() {
        let input = ModelInput::from_spec(&InputSpec::new("normal", 128)).expect("ok");
        assert_eq!(input.audio(), Some((MelVariant::Normal, InputRoute::Array)));
        assert!(ModelInput::from_spec(&InputSpec::new("chroma", 128)).is_err());
    }

    #[test]
    fn the_shipped_models_read_mel_inputs() {
        for (name, bytes) in crate::EMBEDDED_MODELS {
            let model = subgenre_cnn::load_model_bytes(
                bytes,
                name.as_ref(),
                &subgenre_cnn::default_device(),
            )
            .expect("ok");
            let input = ModelInput::from_spec(&model.spec.input).expect("ok");
            assert!(input.audio().is_some(), "{name}: {input:?}");
            assert_eq!(input.size(), 128);
        }
    }
}
