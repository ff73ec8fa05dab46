//! The form of a `product_carousel` step: its text, where its products come
//! from (all, a collection, hand-picked or a search) and the page size.

use leptos::prelude::*;

use super::super::Ed;
use super::fields::{Choice, NumberField, TextField, edit, get, set};
use crate::commerce::ProductSource;
use crate::flow::doc::{Node, NodeId, NodeKind};

pub(super) fn carousel_form(ed: Ed, id: &NodeId, node: Memo<Option<Node>>) -> AnyView {
    let current = Memo::new(move |_| {
        node.with(|n| match n.as_ref().map(|n| &n.kind) {
            Some(NodeKind::ProductCarousel(s)) => Some(s.source.clone()),
            _ => None,
        })
    });
    let kind = Signal::derive(move || {
        match current.get() {
            Some(ProductSource::Collection { .. }) => "collection",
            Some(ProductSource::Skus { .. }) => "skus",
            Some(ProductSource::Search { .. }) => "search",
            _ => "all",
        }
        .to_string()
    });
    let collections = ed.catalog.with_value(|c| c.collections());
    let products: Vec<(String, String)> = ed.catalog.with_value(|c| {
        c.all()
            .filter(|p| p.active)
            .map(|p| (p.sku.clone(), format!("{} — {}", p.name, p.price)))
            .collect()
    });
    let first_collection = collections.first().cloned().unwrap_or_default();
    let set_kind = kind_setter(ed, id.clone(), first_collection);
    let source = Source {
        ed,
        id: StoredValue::new(id.clone()),
        current,
    };
    let detail = move || match kind.get().as_str() {
        "collection" => collection_picker(source, &collections),
        "skus" => product_picks(source, &products),
        "search" => search_field(source),
        _ => view! { <p class="hint">"Every active product, newest first."</p> }.into_any(),
    };
    view! {
        <TextField label="Said above the products" name="text" multiline=true vars=true value=get!(node, ProductCarousel, |s| s.text.clone()) on_change=set!(ed, id, "text", ProductCarousel, |s, v: String| s.text = v) />
        <Choice
            label="Which products"
            name="source"
            options=vec![("all", "All products"), ("collection", "One collection"), ("skus", "Products I choose"), ("search", "Products matching words")]
            value=kind
            on_change=set_kind
        />
        {detail}
        <NumberField
            label="Products shown at a time"
            name="page"
            min=1
            max=10
            value=get!(node, ProductCarousel, |s| s.page_size)
            on_change=set!(ed, id, "page", ProductCarousel, |s, n: u32| s.page_size = n)
        />
    }
    .into_any()
}

/// Switches where the products come from, starting the new kind empty
/// (or at the first collection).
fn kind_setter(ed: Ed, id: NodeId, first_collection: String) -> Callback<String> {
    Callback::new(move |k: String| {
        let fc = first_collection.clone();
        edit(ed, &id, "source", |kind| {
            if let NodeKind::ProductCarousel(s) = kind {
                s.source = match k.as_str() {
                    "collection" => ProductSource::Collection { collection: fc },
                    "skus" => ProductSource::Skus { skus: vec![] },
                    "search" => ProductSource::Search {
                        query: String::new(),
                    },
                    _ => ProductSource::All,
                };
            }
        });
        ed.seal();
    })
}

/// The carousel's product source: what it is now, and a way to change it.
#[derive(Clone, Copy)]
struct Source {
    ed: Ed,
    id: StoredValue<NodeId>,
    current: Memo<Option<ProductSource>>,
}

impl Source {
    /// Changes the source, as one edit of `field`.
    fn set(self, f: Box<dyn FnOnce(&mut ProductSource)>, field: &str) {
        edit(self.ed, &self.id.get_value(), field, |kind| {
            if let NodeKind::ProductCarousel(s) = kind {
                f(&mut s.source);
            }
        })
    }
}

/// The collection to show, or how to get one.
fn collection_picker(source: Source, collections: &[String]) -> AnyView {
    if collections.is_empty() {
        return view! {
            <p class="hint">"Your catalog has no collections yet. Give products a collection on the " <a href="/products">"Products"</a> " page."</p>
        }
        .into_any();
    }
    let current = match source.current.get() {
        Some(ProductSource::Collection { collection }) => collection,
        _ => String::new(),
    };
    view! {
        <div class="field">
            <label for="field-collection">"Collection"</label>
            <select
                id="field-collection"
                on:change=move |ev| {
                    let v = event_target_value(&ev);
                    source.set(Box::new(move |s| *s = ProductSource::Collection { collection: v }), "collection");
                }
            >
                {collections
                    .iter()
                    .map(|c| {
                        let sel = *c == current;
                        view! { <option value=c.clone() selected=sel>{c.clone()}</option> }
                    })
                    .collect_view()}
            </select>
        </div>
    }
    .into_any()
}

/// A checkbox per active product, or how to get some.
fn product_picks(source: Source, products: &[(String, String)]) -> AnyView {
    if products.is_empty() {
        return view! {
            <p class="hint">"Your catalog is empty. Add products on the " <a href="/products">"Products"</a> " page first."</p>
        }
        .into_any();
    }
    let chosen = match source.current.get() {
        Some(ProductSource::Skus { skus }) => skus,
        _ => vec![],
    };
    view! {
        <fieldset class="product-picks">
            <legend>"Products to show, in the order you tick them"</legend>
            {products
                .iter()
                .map(|(sku, name)| {
                    let checked = chosen.contains(sku);
                    let sku = sku.clone();
                    view! {
                        <label class="check">
                            <input
                                type="checkbox"
                                checked=checked
                                data-sku=sku.clone()
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    let sku = sku.clone();
                                    source.set(Box::new(move |s| {
                                        if let ProductSource::Skus { skus } = s {
                                            skus.retain(|x| *x != sku);
                                            if on {
                                                skus.push(sku);
                                            }
                                        }
                                    }), "skus");
                                }
                            />
                            {name.clone()}
                        </label>
                    }
                })
                .collect_view()}
        </fieldset>
    }
    .into_any()
}

/// The words a search source looks for.
fn search_field(source: Source) -> AnyView {
    view! {
        <TextField
            label="Words to look for"
            name="query"
            placeholder="e.g. summer shoes"
            value=Signal::derive(move || match source.current.get() {
                Some(ProductSource::Search { query }) => query,
                _ => String::new(),
            })
            on_change=Callback::new(move |v: String| source.set(Box::new(move |s| *s = ProductSource::Search { query: v }), "query"))
        />
    }
    .into_any()
}
