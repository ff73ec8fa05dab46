//! Undo and redo over whole documents. Must not edit a document itself:
//! every change goes through [`apply`](super::apply).

use super::{EditError, Op, apply, tidy};
use crate::flow::doc::FlowDoc;

/// Undo and redo over whole documents.
///
/// Each applied operation pushes the previous document. Operations given
/// the same `coalesce` key one after another (typing into one field) make a
/// single undo step.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    past: Vec<FlowDoc>,
    present: FlowDoc,
    future: Vec<FlowDoc>,
    last_key: Option<String>,
    limit: usize,
}

impl History {
    /// How many steps back undo reaches.
    pub const LIMIT: usize = 100;

    /// Starts a history at `doc`, tidied.
    pub fn new(mut doc: FlowDoc) -> History {
        tidy(&mut doc);
        History {
            past: Vec::new(),
            present: doc,
            future: Vec::new(),
            last_key: None,
            limit: Self::LIMIT,
        }
    }

    /// The current document.
    pub fn present(&self) -> &FlowDoc {
        &self.present
    }

    /// Applies `op`; `Ok(false)` when it changes nothing, which leaves no
    /// undo step (importing the flow that is already there, say).
    pub fn apply(&mut self, op: &Op, coalesce: Option<&str>) -> Result<bool, EditError> {
        let next = apply(&self.present, op)?;
        if next == self.present {
            return Ok(false);
        }
        let merge = coalesce.is_some() && coalesce == self.last_key.as_deref();
        let prev = std::mem::replace(&mut self.present, next);
        if !merge {
            self.past.push(prev);
            if self.past.len() > self.limit {
                self.past.remove(0);
            }
        }
        self.future.clear();
        self.last_key = coalesce.map(String::from);
        Ok(true)
    }

    /// Ends the current coalescing run: the next edit is its own step.
    pub fn seal(&mut self) {
        self.last_key = None;
    }

    /// Steps back; `false` when there is nothing to undo.
    pub fn undo(&mut self) -> bool {
        let Some(prev) = self.past.pop() else {
            return false;
        };
        self.future.push(std::mem::replace(&mut self.present, prev));
        self.last_key = None;
        true
    }

    /// Steps forward again; `false` when there is nothing to redo.
    pub fn redo(&mut self) -> bool {
        let Some(next) = self.future.pop() else {
            return false;
        };
        self.past.push(std::mem::replace(&mut self.present, next));
        self.last_key = None;
        true
    }

    /// Whether undo would do something.
    pub fn can_undo(&self) -> bool {
        !self.past.is_empty()
    }

    /// Whether redo would do something.
    pub fn can_redo(&self) -> bool {
        !self.future.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::at;
    use super::*;
    use crate::editor_core::edit::new_node;
    use crate::flow::doc::{MessageSettings, NodeKind};

    #[test]
    fn undo_and_redo_walk_the_history() {
        let mut h = History::new(FlowDoc::default());
        assert!(!h.can_undo() && !h.undo());
        let node = new_node(h.present(), "message", at(0.0, 0.0)).unwrap();
        let id = node.id.clone();
        h.apply(&Op::AddNode { node }, None).unwrap();
        let text = |h: &History| match &h.present().nodes[0].kind {
            NodeKind::Message(s) => s.text.clone(),
            _ => unreachable!(),
        };
        // Typing three characters into one field is one undo step.
        for t in ["H", "Hi", "Hi!"] {
            let kind = NodeKind::Message(MessageSettings {
                text: t.into(),
                image_url: None,
            });
            h.apply(
                &Op::UpdateNode {
                    id: id.clone(),
                    kind,
                },
                Some("message:text"),
            )
            .unwrap();
        }
        assert_eq!(text(&h), "Hi!");
        assert!(h.undo());
        assert_eq!(text(&h), "");
        assert!(h.undo());
        assert!(h.present().nodes.is_empty());
        assert!(!h.undo());
        assert!(h.redo() && h.redo());
        assert_eq!(text(&h), "Hi!");
        assert!(!h.redo());
        // A new edit after undo drops the redo branch.
        h.undo();
        h.apply(
            &Op::MoveNodes {
                ids: vec![id],
                dx: 5.0,
                dy: 0.0,
            },
            None,
        )
        .unwrap();
        assert!(!h.can_redo());
        // An edit that changes nothing leaves no step.
        let before = h.clone();
        let changed = h
            .apply(
                &Op::Disconnect {
                    from: "message".into(),
                    port: "next".into(),
                },
                None,
            )
            .unwrap();
        assert!(!changed);
        assert_eq!(h, before);
        // Nor does replacing the flow with itself (importing the same file).
        let same = h.present().clone();
        assert_eq!(h.apply(&Op::Replace { doc: same }, None), Ok(false));
        assert_eq!(h, before);
    }

    #[test]
    fn history_is_bounded() {
        let node = new_node(&FlowDoc::default(), "message", at(0.0, 0.0)).unwrap();
        let id = node.id.clone();
        let mut h = History::new(apply(&FlowDoc::default(), &Op::AddNode { node }).unwrap());
        for _ in 0..History::LIMIT + 20 {
            h.apply(
                &Op::MoveNodes {
                    ids: vec![id.clone()],
                    dx: 1.0,
                    dy: 0.0,
                },
                None,
            )
            .unwrap();
        }
        let mut undone = 0;
        while h.undo() {
            undone += 1;
        }
        assert_eq!(undone, History::LIMIT);
    }
}
