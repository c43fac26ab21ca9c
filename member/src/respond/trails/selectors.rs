//! A trail's event selectors as Rampart records and restores them: classic selectors or
//! advanced ones (a trail holds one kind or the other), and whether management events are on.

use aws_sdk_cloudtrail::types::{
    AdvancedEventSelector, AdvancedFieldSelector, DataResource, EventSelector, ReadWriteType,
};
use serde::{Deserialize, Serialize};

/// One event selector (classic form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selector {
    pub read_write_type: String,
    pub include_management_events: bool,
    /// (type, values), e.g. ("AWS::S3::Object", ["arn:aws:s3"]).
    #[serde(default)]
    pub data_resources: Vec<(String, Vec<String>)>,
}

/// One condition of an advanced selector.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldSelector {
    pub field: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub equals: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub starts_with: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ends_with: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_equals: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_starts_with: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_ends_with: Vec<String>,
}

/// One advanced event selector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdvancedSelector {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub field_selectors: Vec<FieldSelector>,
}

/// The selectors of a trail. Records made before advanced selectors were read are a plain
/// list (classic).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Selectors {
    Classic(Vec<Selector>),
    Advanced { advanced: Vec<AdvancedSelector> },
}

impl Default for Selectors {
    fn default() -> Self {
        Selectors::Classic(Vec::new())
    }
}

impl AdvancedSelector {
    fn field(&self, name: &str) -> Option<&FieldSelector> {
        self.field_selectors.iter().find(|f| f.field == name)
    }

    /// Whether it records every management event, read and write.
    fn all_management(&self) -> bool {
        let management = self
            .field("eventCategory")
            .is_some_and(|f| f.equals.iter().any(|v| v == "Management"));
        // Any other condition (readOnly, eventSource exclusions) narrows what is recorded.
        management && self.field_selectors.len() == 1
    }

    fn is_management(&self) -> bool {
        self.field("eventCategory")
            .is_some_and(|f| f.equals.iter().any(|v| v == "Management"))
    }
}

impl Selectors {
    /// Whether every management event, read and write, is recorded.
    pub fn management_events_on(&self) -> bool {
        match self {
            Selectors::Classic(list) => list
                .iter()
                .any(|s| s.include_management_events && s.read_write_type == "All"),
            Selectors::Advanced { advanced } => advanced.iter().any(|s| s.all_management()),
        }
    }

    /// The same selectors with management events read/write All added back (data event
    /// selectors kept as they are).
    pub fn with_management_events(&self) -> Selectors {
        match self {
            Selectors::Classic(current) => {
                let mut fixed: Vec<Selector> = current
                    .iter()
                    .filter(|s| !s.data_resources.is_empty())
                    .map(|s| Selector {
                        include_management_events: false,
                        ..s.clone()
                    })
                    .collect();
                fixed.insert(
                    0,
                    Selector {
                        read_write_type: "All".into(),
                        include_management_events: true,
                        data_resources: Vec::new(),
                    },
                );
                Selectors::Classic(fixed)
            }
            Selectors::Advanced { advanced } => {
                let mut fixed: Vec<AdvancedSelector> = advanced
                    .iter()
                    .filter(|s| !s.is_management())
                    .cloned()
                    .collect();
                fixed.insert(
                    0,
                    AdvancedSelector {
                        name: Some("Management events".into()),
                        field_selectors: vec![FieldSelector {
                            field: "eventCategory".into(),
                            equals: vec!["Management".into()],
                            ..Default::default()
                        }],
                    },
                );
                Selectors::Advanced { advanced: fixed }
            }
        }
    }

    /// From a GetEventSelectors answer: advanced selectors when the trail has them.
    pub fn from_sdk(classic: &[EventSelector], advanced: &[AdvancedEventSelector]) -> Selectors {
        if !advanced.is_empty() {
            return Selectors::Advanced {
                advanced: advanced
                    .iter()
                    .map(|a| AdvancedSelector {
                        name: a.name().map(str::to_string),
                        field_selectors: a
                            .field_selectors()
                            .iter()
                            .map(|f| FieldSelector {
                                field: f.field().to_string(),
                                equals: f.equals().to_vec(),
                                starts_with: f.starts_with().to_vec(),
                                ends_with: f.ends_with().to_vec(),
                                not_equals: f.not_equals().to_vec(),
                                not_starts_with: f.not_starts_with().to_vec(),
                                not_ends_with: f.not_ends_with().to_vec(),
                            })
                            .collect(),
                    })
                    .collect(),
            };
        }
        Selectors::Classic(
            classic
                .iter()
                .map(|s| Selector {
                    read_write_type: s
                        .read_write_type()
                        .map(|r| r.as_str().to_string())
                        .unwrap_or_else(|| "All".into()),
                    include_management_events: s.include_management_events().unwrap_or(true),
                    data_resources: s
                        .data_resources()
                        .iter()
                        .map(|d| {
                            (
                                d.r#type().unwrap_or_default().to_string(),
                                d.values().to_vec(),
                            )
                        })
                        .collect(),
                })
                .collect(),
        )
    }

    /// The classic selectors to put, or None for advanced ones.
    pub fn classic_sdk(&self) -> Option<Vec<EventSelector>> {
        let Selectors::Classic(list) = self else {
            return None;
        };
        Some(
            list.iter()
                .map(|s| {
                    EventSelector::builder()
                        .read_write_type(ReadWriteType::from(s.read_write_type.as_str()))
                        .include_management_events(s.include_management_events)
                        .set_data_resources(Some(
                            s.data_resources
                                .iter()
                                .map(|(t, v)| {
                                    DataResource::builder()
                                        .r#type(t)
                                        .set_values(Some(v.clone()))
                                        .build()
                                })
                                .collect(),
                        ))
                        .build()
                })
                .collect(),
        )
    }

    /// The advanced selectors to put (None for classic ones); `Err` names a selector the SDK
    /// refuses to build.
    pub fn advanced_sdk(&self) -> Result<Option<Vec<AdvancedEventSelector>>, String> {
        let Selectors::Advanced { advanced } = self else {
            return Ok(None);
        };
        let mut out = Vec::new();
        for a in advanced {
            let mut fields = Vec::new();
            for f in &a.field_selectors {
                let built = AdvancedFieldSelector::builder()
                    .field(&f.field)
                    .set_equals(Some(f.equals.clone()).filter(|v| !v.is_empty()))
                    .set_starts_with(Some(f.starts_with.clone()).filter(|v| !v.is_empty()))
                    .set_ends_with(Some(f.ends_with.clone()).filter(|v| !v.is_empty()))
                    .set_not_equals(Some(f.not_equals.clone()).filter(|v| !v.is_empty()))
                    .set_not_starts_with(Some(f.not_starts_with.clone()).filter(|v| !v.is_empty()))
                    .set_not_ends_with(Some(f.not_ends_with.clone()).filter(|v| !v.is_empty()))
                    .build()
                    .map_err(|e| format!("advanced selector field {}: {e}", f.field))?;
                fields.push(built);
            }
            let sel = AdvancedEventSelector::builder()
                .set_name(a.name.clone())
                .set_field_selectors(Some(fields))
                .build()
                .map_err(|e| format!("advanced selector: {e}"))?;
            out.push(sel);
        }
        Ok(Some(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mgmt_only(read_only: bool) -> Selectors {
        let mut fields = vec![FieldSelector {
            field: "eventCategory".into(),
            equals: vec!["Management".into()],
            ..Default::default()
        }];
        if read_only {
            fields.push(FieldSelector {
                field: "readOnly".into(),
                equals: vec!["true".into()],
                ..Default::default()
            });
        }
        Selectors::Advanced {
            advanced: vec![AdvancedSelector {
                name: None,
                field_selectors: fields,
            }],
        }
    }

    #[test]
    fn advanced_selectors_decide_management_events_too() {
        assert!(mgmt_only(false).management_events_on());
        // Read-only management events only: the writes (StopLogging itself) go unrecorded.
        let narrowed = mgmt_only(true);
        assert!(!narrowed.management_events_on());
        let fixed = narrowed.with_management_events();
        assert!(fixed.management_events_on());
        let data_only = Selectors::Advanced {
            advanced: vec![AdvancedSelector {
                name: Some("S3".into()),
                field_selectors: vec![FieldSelector {
                    field: "eventCategory".into(),
                    equals: vec!["Data".into()],
                    ..Default::default()
                }],
            }],
        };
        assert!(!data_only.management_events_on());
        let Selectors::Advanced { advanced } = data_only.with_management_events() else {
            panic!("stays advanced");
        };
        assert_eq!(advanced.len(), 2, "the data selector is kept");
        assert!(fixed.advanced_sdk().unwrap().is_some());
    }

    #[test]
    fn older_records_read_as_classic() {
        let old: Selectors = serde_json::from_str(
            r#"[{"read_write_type":"All","include_management_events":true,"data_resources":[]}]"#,
        )
        .unwrap();
        assert!(matches!(old, Selectors::Classic(ref l) if l.len() == 1));
        assert!(old.management_events_on());
        let adv = mgmt_only(false);
        let back: Selectors = serde_json::from_str(&serde_json::to_string(&adv).unwrap()).unwrap();
        assert_eq!(back, adv);
    }
}
