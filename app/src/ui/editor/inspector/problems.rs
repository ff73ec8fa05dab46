//! The list of a step's problems under its form, from live validation.

use leptos::prelude::*;

use super::super::Ed;
use crate::flow::doc::NodeId;

/// The node's problems, from live validation.
#[component]
pub(super) fn NodeProblems(id: NodeId) -> impl IntoView {
    let ed = expect_context::<Ed>();
    let problems = Memo::new(move |_| {
        if ed.viewing.with(Option::is_some) {
            return vec![];
        }
        ed.report.with(|r| {
            r.for_node(id.as_str())
                .filter(|p| p.code != "channel_limit")
                .map(|p| {
                    (
                        p.severity == crate::flow::Severity::Error,
                        p.message.clone(),
                    )
                })
                .collect::<Vec<_>>()
        })
    });
    move || {
        let list = problems.get();
        (!list.is_empty()).then(|| {
            view! {
                <ul class="problems node-problems" data-testid="node-problems">
                    {list
                        .into_iter()
                        .map(|(error, msg)| {
                            view! {
                                <li class=if error { "error" } else { "warning" }>
                                    <strong>{if error { "Must fix: " } else { "Note: " }}</strong>
                                    {msg}
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            }
        })
    }
}
