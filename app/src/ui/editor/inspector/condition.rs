//! The form of a `condition` step: its ordered rules, each looking at a
//! remembered value or the cart and comparing it with a value.

use leptos::prelude::*;

use super::super::Ed;
use super::fields::edit;
use crate::editor_core::edit::fresh_port_id;
use crate::flow::doc::{Branch, Comparison, Node, NodeId, NodeKind, Subject};

/// A change to a condition's rules.
type BranchEdit = Box<dyn FnOnce(&mut Vec<Branch>)>;

pub(super) fn condition_form(ed: Ed, id: &NodeId, node: Memo<Option<Node>>) -> AnyView {
    let ids = Memo::new(move |_| {
        node.with(|n| match n.as_ref().map(|n| &n.kind) {
            Some(NodeKind::Condition(s)) => s.branches.iter().map(|b| b.id.clone()).collect(),
            _ => Vec::<String>::new(),
        })
    });
    let nid = id.clone();
    let branches = move |f: BranchEdit, field: &str| {
        edit(ed, &nid, field, |k| {
            if let NodeKind::Condition(s) = k {
                f(&mut s.branches);
            }
        })
    };
    let row = {
        let branches = branches.clone();
        move |bid: String| {
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
            let position = move || position.get();
            let update = {
                let bid = bid.clone();
                let branches = branches.clone();
                move |field: &'static str, f: Box<dyn FnOnce(&mut Branch)>| {
                    let bid = bid.clone();
                    branches(
                        Box::new(move |bs| {
                            if let Some(b) = bs.iter_mut().find(|b| b.id == bid) {
                                f(b);
                            }
                        }),
                        &format!("branch:{field}"),
                    )
                }
            };
            let subject = move || match branch.get().map(|b| b.subject) {
                Some(Subject::Variable { .. }) => "variable",
                Some(Subject::CartTotal) => "cart_total",
                _ => "cart_count",
            };
            let op = move || match branch.get().map(|b| b.op) {
                Some(Comparison::Equals) => "equals",
                Some(Comparison::NotEquals) => "not_equals",
                Some(Comparison::Contains) => "contains",
                Some(Comparison::GreaterThan) => "greater_than",
                Some(Comparison::LessThan) => "less_than",
                Some(Comparison::IsSet) => "is_set",
                _ => "is_empty",
            };
            let (u1, u2, u3, u4, u5) = (
                update.clone(),
                update.clone(),
                update.clone(),
                update.clone(),
                update.clone(),
            );
            let (b1, b2, b3) = (bid.clone(), bid.clone(), bid.clone());
            let (m1, m2, m3) = (branches.clone(), branches.clone(), branches.clone());
            let n = move || position() + 1;
            view! {
                <li class="branch">
                    <input type="text" aria-label=move || format!("Name of rule {}", n()) placeholder="Name, e.g. Big order"
                        prop:value=move || branch.get().map(|b| b.label).unwrap_or_default()
                        on:input=move |ev| { let v = event_target_value(&ev); u1("label", Box::new(move |b| b.label = v)) }
                        on:blur=move |_| ed.seal() />
                    <div class="branch-rule">
                        <select aria-label=move || format!("What rule {} looks at", n())
                            on:change=move |ev| {
                                let v = event_target_value(&ev);
                                u2("subject", Box::new(move |b| b.subject = match v.as_str() {
                                    "variable" => Subject::Variable { name: String::new() },
                                    "cart_total" => Subject::CartTotal,
                                    _ => Subject::CartCount,
                                }));
                                ed.seal();
                            }>
                            {[("variable", "A remembered value"), ("cart_total", "The cart's total"), ("cart_count", "Items in the cart")]
                                .into_iter()
                                .map(|(v, l)| view! { <option value=v selected=move || subject() == v>{l}</option> })
                                .collect_view()}
                        </select>
                        <Show when=move || subject() == "variable">
                            {
                                let u = u3.clone();
                                view! {
                                    <input type="text" aria-label=move || format!("Value name for rule {}", n()) placeholder="name"
                                        prop:value=move || match branch.get().map(|b| b.subject) { Some(Subject::Variable { name }) => name, _ => String::new() }
                                        on:input=move |ev| { let v = event_target_value(&ev); u("var", Box::new(move |b| b.subject = Subject::Variable { name: v })) } />
                                }
                            }
                        </Show>
                        <select aria-label=move || format!("How rule {} compares", n())
                            on:change=move |ev| {
                                let v = event_target_value(&ev);
                                u4("op", Box::new(move |b| b.op = match v.as_str() {
                                    "equals" => Comparison::Equals,
                                    "not_equals" => Comparison::NotEquals,
                                    "contains" => Comparison::Contains,
                                    "greater_than" => Comparison::GreaterThan,
                                    "less_than" => Comparison::LessThan,
                                    "is_set" => Comparison::IsSet,
                                    _ => Comparison::IsEmpty,
                                }));
                                ed.seal();
                            }>
                            {[("equals", "is"), ("not_equals", "is not"), ("contains", "contains"), ("greater_than", "is more than"), ("less_than", "is less than"), ("is_set", "has a value"), ("is_empty", "is empty")]
                                .into_iter()
                                .map(|(v, l)| view! { <option value=v selected=move || op() == v>{l}</option> })
                                .collect_view()}
                        </select>
                        <Show when=move || !matches!(op(), "is_set" | "is_empty")>
                            {
                                let u = u5.clone();
                                view! {
                                    <input type="text" aria-label=move || format!("Value for rule {}", n())
                                        prop:value=move || branch.get().map(|b| b.value).unwrap_or_default()
                                        on:input=move |ev| { let v = event_target_value(&ev); u("value", Box::new(move |b| b.value = v)) } />
                                }
                            }
                        </Show>
                    </div>
                    <div class="row-actions">
                        <button type="button" class="icon" aria-label=move || format!("Move rule {} up", n()) disabled={move || position() == 0}
                            on:click=move |_| { let b = b1.clone(); m1(Box::new(move |bs| if let Some(i) = bs.iter().position(|x| x.id == b) && i > 0 { bs.swap(i, i - 1) }), "branches:order") }>"↑"</button>
                        <button type="button" class="icon" aria-label=move || format!("Move rule {} down", n()) disabled={move || position() + 1 >= ids.with(Vec::len)}
                            on:click=move |_| { let b = b2.clone(); m2(Box::new(move |bs| if let Some(i) = bs.iter().position(|x| x.id == b) && i + 1 < bs.len() { bs.swap(i, i + 1) }), "branches:order") }>"↓"</button>
                        <button type="button" class="icon" aria-label=move || format!("Remove rule {}", n())
                            on:click=move |_| { let b = b3.clone(); m3(Box::new(move |bs| bs.retain(|x| x.id != b)), "branches:remove"); ed.seal(); }>"✕"</button>
                    </div>
                </li>
            }
        }
    };
    let add = {
        let branches = branches.clone();
        move |_| {
            branches(
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
