//! Reading and writing the document as JSON: [`DocError`], parsing with
//! schema migration, serializing, and the hard size bounds a stored
//! document must keep. Must not judge a readable document's content; that
//! is validation's job.

use super::{
    FlowDoc, MAX_DOC_BYTES, MAX_EDGES, MAX_NODES, MAX_TEXT_CHARS, MAX_TRIGGERS, SCHEMA_VERSION,
};

/// Why a document could not be read at all (as opposed to the problems
/// validation reports on a readable document).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocError {
    /// Too large to accept.
    #[error("The flow is larger than {} MB.", MAX_DOC_BYTES / (1024 * 1024))]
    TooLarge,
    /// Not JSON, or not shaped like a flow.
    #[error("The flow document is not valid: {0}")]
    Invalid(String),
    /// Written by a newer Botme than this one.
    #[error("This flow was saved by a newer version of Botme (schema {0}).")]
    FromTheFuture(u32),
    /// Beyond a size bound other than bytes; the sentence says which.
    #[error("{0}")]
    OverLimit(String),
}

impl FlowDoc {
    /// Parses a stored or uploaded document, migrating old schemas forward.
    pub fn from_json(json: &str) -> Result<FlowDoc, DocError> {
        if json.len() > MAX_DOC_BYTES {
            return Err(DocError::TooLarge);
        }
        let value: serde_json::Value =
            serde_json::from_str(json).map_err(|e| DocError::Invalid(e.to_string()))?;
        FlowDoc::from_value(value)
    }

    /// Parses a JSON value, migrating old schemas forward.
    pub fn from_value(value: serde_json::Value) -> Result<FlowDoc, DocError> {
        let value = migrate(value)?;
        serde_json::from_value(value).map_err(|e| DocError::Invalid(e.to_string()))
    }

    /// Serializes the document.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_string())
    }

    /// Checks the size bounds a stored document must keep: at most
    /// [`MAX_NODES`] steps, [`MAX_EDGES`] connections, [`MAX_TRIGGERS`]
    /// keyword shortcuts and [`MAX_TEXT_CHARS`] characters in any text.
    /// (Validation reports the same, step by step.)
    pub fn check_limits(&self) -> Result<(), DocError> {
        let over = |what: &str, max: usize, n: usize| {
            DocError::OverLimit(format!(
                "A flow can have at most {max} {what}; this one has {n}."
            ))
        };
        if self.nodes.len() > MAX_NODES {
            return Err(over("steps", MAX_NODES, self.nodes.len()));
        }
        if self.edges.len() > MAX_EDGES {
            return Err(over("connections", MAX_EDGES, self.edges.len()));
        }
        if self.triggers.len() > MAX_TRIGGERS {
            return Err(over("keyword shortcuts", MAX_TRIGGERS, self.triggers.len()));
        }
        for node in &self.nodes {
            if let Some(n) = node
                .kind
                .texts()
                .iter()
                .map(|t| t.chars().count())
                .find(|&n| n > MAX_TEXT_CHARS)
            {
                return Err(DocError::OverLimit(format!(
                    "Texts can be at most {MAX_TEXT_CHARS} characters; one in the step “{}” has {n}.",
                    node.id
                )));
            }
        }
        for t in &self.triggers {
            if let Some(k) = t
                .keywords
                .iter()
                .find(|k| k.chars().count() > MAX_TEXT_CHARS)
            {
                return Err(DocError::OverLimit(format!(
                    "Keywords can be at most {MAX_TEXT_CHARS} characters; one has {}.",
                    k.chars().count()
                )));
            }
        }
        Ok(())
    }
}

/// Brings any older document up to [`SCHEMA_VERSION`]. Each schema bump adds
/// one step here; documents are never rejected for being old.
pub fn migrate(mut value: serde_json::Value) -> Result<serde_json::Value, DocError> {
    let Some(obj) = value.as_object_mut() else {
        return Err(DocError::Invalid("expected a JSON object".into()));
    };
    // Schema 0 was the pre-release shape without a `schema` field.
    let schema = match obj.get("schema") {
        None => 0,
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| DocError::Invalid("`schema` must be a number".into()))?,
    };
    if schema > SCHEMA_VERSION {
        return Err(DocError::FromTheFuture(schema));
    }
    if schema == 0 {
        obj.insert("schema".into(), serde_json::Value::from(1));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::doc::*;

    #[test]
    fn documents_round_trip_through_json() {
        let json = r#"{"schema":1,"start":"a","nodes":[
            {"id":"a","type":"message","position":{"x":10,"y":20},"settings":{"text":"Hi"}},
            {"id":"b","type":"quick_reply","settings":{"text":"Pick","options":[{"id":"x","label":"X"}]}},
            {"id":"c","type":"product_carousel","settings":{"source":{"kind":"collection","collection":"Shoes"}}},
            {"id":"d","type":"end","settings":{}}],
            "edges":[{"from":"a","port":"next","to":"b"}],
            "triggers":[{"keywords":["menu"],"to":"b"}]}"#;
        let doc = FlowDoc::from_json(json).unwrap();
        assert_eq!(doc.nodes.len(), 4);
        assert_eq!(doc.nodes[0].position.x, 10.0);
        assert_eq!(doc.nodes[2].kind.type_name(), "product_carousel");
        let again = FlowDoc::from_json(&doc.to_json()).unwrap();
        assert_eq!(doc, again);
    }

    #[test]
    fn old_documents_are_migrated_and_future_ones_refused() {
        let doc = FlowDoc::from_json(r#"{"nodes":[]}"#).unwrap();
        assert_eq!(doc.schema, SCHEMA_VERSION);
        assert_eq!(
            FlowDoc::from_json(r#"{"schema":99}"#),
            Err(DocError::FromTheFuture(99))
        );
        assert!(matches!(
            FlowDoc::from_json("[]"),
            Err(DocError::Invalid(_))
        ));
        assert!(matches!(FlowDoc::from_json("{"), Err(DocError::Invalid(_))));
        let unknown = r#"{"schema":1,"nodes":[{"id":"a","type":"teleport","settings":{}}]}"#;
        assert!(matches!(
            FlowDoc::from_json(unknown),
            Err(DocError::Invalid(_))
        ));
        let huge = format!(r#"{{"schema":1,"pad":"{}"}}"#, "x".repeat(MAX_DOC_BYTES));
        assert_eq!(FlowDoc::from_json(&huge), Err(DocError::TooLarge));
    }

    #[test]
    fn size_limits_are_checked() {
        let message = |i: usize, text: String| Node {
            id: NodeId(format!("n{i}")),
            position: Position::default(),
            kind: NodeKind::Message(MessageSettings {
                text,
                image_url: None,
            }),
        };
        let mut doc = FlowDoc {
            nodes: (0..MAX_NODES).map(|i| message(i, "Hi".into())).collect(),
            ..FlowDoc::default()
        };
        assert_eq!(doc.check_limits(), Ok(()));
        doc.nodes.push(message(MAX_NODES, "Hi".into()));
        assert_eq!(
            doc.check_limits(),
            Err(DocError::OverLimit(
                "A flow can have at most 1000 steps; this one has 1001.".into()
            ))
        );
        let long = FlowDoc {
            nodes: vec![message(0, "é".repeat(MAX_TEXT_CHARS + 1))],
            ..FlowDoc::default()
        };
        let err = long.check_limits().unwrap_err().to_string();
        assert!(err.contains("“n0” has 4097"), "{err}");
        let edges = FlowDoc {
            edges: vec![Edge::new("a", "next", "b"); MAX_EDGES + 1],
            ..FlowDoc::default()
        };
        assert!(
            edges
                .check_limits()
                .unwrap_err()
                .to_string()
                .contains("connections")
        );
        let triggers = FlowDoc {
            triggers: vec![
                Trigger {
                    keywords: vec!["hi".into()],
                    to: "a".into(),
                };
                MAX_TRIGGERS + 1
            ],
            ..FlowDoc::default()
        };
        assert!(
            triggers
                .check_limits()
                .unwrap_err()
                .to_string()
                .contains("keyword shortcuts")
        );
    }
}
