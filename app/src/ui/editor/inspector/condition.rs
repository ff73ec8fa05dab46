//! The form of a `condition` step: its ordered rules, each looking at a
//! remembered value or the cart and comparing it with a value.

use leptos::prelude::*;

use super::super::Ed;
use super::fields::edit;
use crate::editor_core::edit::fresh_port_id;
use crate::flow::doc::{Branch, Comparison, Node, NodeId, NodeKind, Subject};

/// A change to a condition's rules.
type BranchEdit = Box<dyn FnOnce(&mut Vec<Branch>)>;

/// Changes the rules of condition `id`, as one edit of `field`.
fn change_rules(ed: Ed, id: &NodeId, f: BranchEdit, field: &str) {
    edit(ed, id, field, |k| {
        if let NodeKind::Condition(s) = k {
            f(&mut s.branches);
        }
    })
}

pub(super) fn condition_form(ed: Ed, id: &NodeId, node: Memo<Option<Node>>) -> AnyView {
    let ids = Memo::new(move |_| {
        node.with(|n| match n.as_ref().map(|n| &n.kind) {
            Some(NodeKind::Condition(s)) => s.branches.iter().map(|b| b.id.clone()).collect(),
            _ => Vec::<String>::new(),
        })
    });
    let row = {
        let nid = id.clone();
        move |bid: String| branch_row(Row::new(ed, nid.clone(), node, ids, bid))
    };
    let add = {
        let nid = id.clone();
        move |_| {
            change_rules(
                ed,
                &nid,
                Box::new(|bs| {
                    let id = fresh_port_id("b", bs.iter().map(|b| b.id.as_str()));
                    bs.push(Branch {
                        id,
                        label: String::new(),
                        subject: Subject::Variable {
                            name: String::new(),
                        },
                        op: Comparison::Equals,
                        value: String::new(),
                    });
                }),
                "branches:add",
            );
            ed.seal();
        }
    };
    view! {
        <div class="field">
            <span class="label">"Rules, checked in order; the first that holds decides"</span>
            <ol class="branches">
                <For each=move || ids.get() key=|b| b.clone() let:bid>
                    {row(bid)}
                </For>
            </ol>
            <button type="button" class="small" on:click=add>"Add a rule"</button>
            <p class="hint">"When no rule holds, the conversation takes “Otherwise”."</p>
        </div>
    }
    .into_any()
}

/// One rule's row: the rule as it is now, and where it sits in the list.
#[derive(Clone, Copy)]
struct Row {
    ed: Ed,
    node: StoredValue<NodeId>,
    bid: StoredValue<String>,
    branch: Memo<Option<Branch>>,
    position: Memo<usize>,
    ids: Memo<Vec<String>>,
}

impl Row {
    fn new(
        ed: Ed,
        node_id: NodeId,
        node: Memo<Option<Node>>,
        ids: Memo<Vec<String>>,
        bid: String,
    ) -> Row {
        let branch = {
            let bid = bid.clone();
            Memo::new(move |_| {
                node.with(|n| match n.as_ref().map(|n| &n.kind) {
                    Some(NodeKind::Condition(s)) => {
                        s.branches.iter().find(|b| b.id == bid).cloned()
                    }
                    _ => None,
                })
            })
        };
        let position = {
            let bid = bid.clone();
            Memo::new(move |_| ids.with(|v| v.iter().position(|x| *x == bid).unwrap_or(0)))
        };
        Row {
            ed,
            node: StoredValue::new(node_id),
            bid: StoredValue::new(bid),
            branch,
            position,
            ids,
        }
    }

    /// The rule's number as shown, from 1.
    fn n(self) -> usize {
        self.position.get() + 1
    }

    /// Changes the list of rules this row belongs to.
    fn rules(self, f: BranchEdit, field: &str) {
        change_rules(self.ed, &self.node.get_value(), f, field);
    }

    /// Changes this rule, as one edit of its `field`.
    fn update(self, field: &'static str, f: Box<dyn FnOnce(&mut Branch)>) {
        let bid = self.bid.get_value();
        self.rules(
            Box::new(move |bs| {
                if let Some(b) = bs.iter_mut().find(|b| b.id == bid) {
                    f(b);
                }
            }),
            &format!("branch:{field}"),
        )
    }

    /// What the rule looks at, as its option value.
    fn subject(self) -> &'static str {
        match self.branch.get().map(|b| b.subject) {
            Some(Subject::Variable { .. }) => "variable",
            Some(Subject::CartTotal) => "cart_total",
            _ => "cart_count",
        }
    }

    /// How the rule compares, as its option value.
    fn op(self) -> &'static str {
        match self.branch.get().map(|b| b.op) {
            Some(Comparison::Equals) => "equals",
            Some(Comparison::NotEquals) => "not_equals",
            Some(Comparison::Contains) => "contains",
            Some(Comparison::GreaterThan) => "greater_than",
            Some(Comparison::LessThan) => "less_than",
            Some(Comparison::IsSet) => "is_set",
            Some(Comparison::HasTag) => "has_tag",
            _ => "is_empty",
        }
    }
}

fn branch_row(row: Row) -> impl IntoView {
    let ed = row.ed;
    let branch = row.branch;
    view! {
        <li class="branch">
            <input type="text" aria-label=move || format!("Name of rule {}", row.n()) placeholder="Name, e.g. Big order"
                prop:value=move || branch.get().map(|b| b.label).unwrap_or_default()
                on:input=move |ev| { let v = event_target_value(&ev); row.update("label", Box::new(move |b| b.label = v)) }
                on:blur=move |_| ed.seal() />
            <div class="branch-rule">
                {subject_fields(row)}
                {comparison_fields(row)}
            </div>
            {row_actions(row)}
        </li>
    }
}

/// What a rule looks at: a remembered value, with its name, or the cart.
fn subject_fields(row: Row) -> impl IntoView {
    let ed = row.ed;
    let branch = row.branch;
    // A tag test looks at the contact, not at a value.
    view! {
        <Show when=move || row.op() != "has_tag">
        <select aria-label=move || format!("What rule {} looks at", row.n())
            on:change=move |ev| {
                let v = event_target_value(&ev);
                row.update("subject", Box::new(move |b| b.subject = match v.as_str() {
                    "variable" => Subject::Variable { name: String::new() },
                    "cart_total" => Subject::CartTotal,
                    _ => Subject::CartCount,
                }));
                ed.seal();
            }>
            {[("variable", "A remembered value"), ("cart_total", "The cart's total"), ("cart_count", "Items in the cart")]
                .into_iter()
                .map(|(v, l)| view! { <option value=v selected=move || row.subject() == v>{l}</option> })
                .collect_view()}
        </select>
        <Show when=move || row.subject() == "variable">
            <input type="text" aria-label=move || format!("Value name for rule {}", row.n()) placeholder="name"
                prop:value=move || match branch.get().map(|b| b.subject) { Some(Subject::Variable { name }) => name, _ => String::new() }
                on:input=move |ev| { let v = event_target_value(&ev); row.update("var", Box::new(move |b| b.subject = Subject::Variable { name: v })) } />
        </Show>
        </Show>
    }
}

/// How a rule compares, and the value it compares with when it needs one.
fn comparison_fields(row: Row) -> impl IntoView {
    let ed = row.ed;
    let branch = row.branch;
    view! {
        <select aria-label=move || format!("How rule {} compares", row.n())
            on:change=move |ev| {
                let v = event_target_value(&ev);
                row.update("op", Box::new(move |b| b.op = match v.as_str() {
                    "equals" => Comparison::Equals,
                    "not_equals" => Comparison::NotEquals,
                    "contains" => Comparison::Contains,
                    "greater_than" => Comparison::GreaterThan,
                    "less_than" => Comparison::LessThan,
                    "is_set" => Comparison::IsSet,
                    "has_tag" => Comparison::HasTag,
                    _ => Comparison::IsEmpty,
                }));
                ed.seal();
            }>
            {[("equals", "is"), ("not_equals", "is not"), ("contains", "contains"), ("greater_than", "is more than"), ("less_than", "is less than"), ("is_set", "has a value"), ("is_empty", "is empty"), ("has_tag", "the contact has the tag")]
                .into_iter()
                .map(|(v, l)| view! { <option value=v selected=move || row.op() == v>{l}</option> })
                .collect_view()}
        </select>
        <Show when=move || !matches!(row.op(), "is_set" | "is_empty")>
            <input type="text" aria-label=move || format!("Value for rule {}", row.n())
                prop:value=move || branch.get().map(|b| b.value).unwrap_or_default()
                on:input=move |ev| { let v = event_target_value(&ev); row.update("value", Box::new(move |b| b.value = v)) } />
        </Show>
    }
}

/// Moving a rule up or down, and removing it.
fn row_actions(row: Row) -> impl IntoView {
    let ed = row.ed;
    let position = row.position;
    let ids = row.ids;
    view! {
        <div class="row-actions">
            <button type="button" class="icon" aria-label=move || format!("Move rule {} up", row.n()) disabled={move || position.get() == 0}
                on:click=move |_| { let b = row.bid.get_value(); row.rules(Box::new(move |bs| if let Some(i) = bs.iter().position(|x| x.id == b) && i > 0 { bs.swap(i, i - 1) }), "branches:order") }>"↑"</button>
            <button type="button" class="icon" aria-label=move || format!("Move rule {} down", row.n()) disabled={move || position.get() + 1 >= ids.with(Vec::len)}
                on:click=move |_| { let b = row.bid.get_value(); row.rules(Box::new(move |bs| if let Some(i) = bs.iter().position(|x| x.id == b) && i + 1 < bs.len() { bs.swap(i, i + 1) }), "branches:order") }>"↓"</button>
            <button type="button" class="icon" aria-label=move || format!("Remove rule {}", row.n())
                on:click=move |_| { let b = row.bid.get_value(); row.rules(Box::new(move |bs| bs.retain(|x| x.id != b)), "branches:remove"); ed.seal(); }>"✕"</button>
        </div>
    }
}
