//! The catalog pages: the product list with add, delete and CSV import, and
//! the product editor.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::{
    Card, Empty, Loaded, WidePage, actions_column, columns, list_table, param, with_can_edit,
};
use crate::server_fns::{get_product, list_products};
use crate::views::ProductView;

/// `/products`.
#[component]
pub fn Products() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.with(|q| q.get("q"));
    let products = Resource::new(q, list_products);
    view! {
        <main class="wide">
            <div class="page-head">
                <h1>"Products"</h1>
                <form method="get" action="/products" class="inline-form" role="search">
                    <label for="product-search" class="sr-only">"Search products"</label>
                    <input id="product-search" type="search" name="q" placeholder="Search by name or SKU" value=move || q().unwrap_or_default() />
                    <button type="submit">"Search"</button>
                </form>
            </div>
            <Loaded
                data=with_can_edit(products)
                loading="Loading products…"
                let((list, editor))
            >
                <ProductTable products=list can_edit=editor />
                {editor.then(|| view! { <NewProduct /> <Import /> })}
            </Loaded>
        </main>
    }
}

#[component]
fn ProductTable(products: Vec<ProductView>, can_edit: bool) -> impl IntoView {
    if products.is_empty() {
        return view! {
            <Empty testid="no-products" title="No products yet">
                "Add your first product below, or import your whole catalog from a CSV file."
            </Empty>
        }
        .into_any();
    }
    view! {
        {list_table(
            "product-list",
            (columns(["Product", "SKU", "Price", "Stock", "Collections"]), actions_column(can_edit)),
            products
                .into_iter()
                .map(|p| {
                    let id = p.id;
                    let stock = match p.stock {
                        None => "Not tracked".to_string(),
                        Some(0) => "Sold out".to_string(),
                        Some(n) => n.to_string(),
                    };
                    view! {
                        <tr data-testid="product-row" class:inactive=!p.active>
                            <td>
                                <strong>{p.name.clone()}</strong>
                                {(!p.active).then(|| view! { <span class="badge">"Hidden"</span> })}
                            </td>
                            <td><code>{p.sku}</code></td>
                            <td>{p.price_label}</td>
                            <td>{stock}</td>
                            <td class="muted">{p.collections.join(", ")}</td>
                            {can_edit
                                .then(|| {
                                    view! {
                                        <td class="row-actions">
                                            <a href=format!("/products/{id}")>"Edit"</a>
                                            <form method="post" action=format!("/products/{id}/delete")>
                                                <button type="submit" class="small danger">"Delete"</button>
                                            </form>
                                        </td>
                                    }
                                })}
                        </tr>
                    }
                })
                .collect_view(),
        )}
    }
    .into_any()
}

/// The fields of a product form, filled from `p` when editing.
#[component]
fn ProductFields(#[prop(optional)] p: Option<ProductView>) -> impl IntoView {
    let v = p.clone();
    view! {
        <div class="grid-form">
            <label>"Name" <input type="text" name="name" required maxlength="200" value=v.as_ref().map(|p| p.name.clone()) /></label>
            <label>"SKU" <input type="text" name="sku" required maxlength="64" value=v.as_ref().map(|p| p.sku.clone()) /></label>
            <label>"Price" <input type="text" name="price" required inputmode="decimal" placeholder="12.50" value=v.as_ref().map(|p| p.price.clone()) /></label>
            <label>"Currency" <input type="text" name="currency" maxlength="3" placeholder="USD" value=v.as_ref().map(|p| p.currency.clone()) /></label>
            <label>"Stock" <input type="number" name="stock" min="0" placeholder="Not tracked" value=v.as_ref().and_then(|p| p.stock).map(|s| s.to_string()) /></label>
            <label>"Collections" <input type="text" name="collections" placeholder="Shoes, Sale" value=v.as_ref().map(|p| p.collections.join(", ")) /></label>
            <label class="wide">"Picture address" <input type="url" name="image_url" placeholder="https://…" value=v.as_ref().and_then(|p| p.image_url.clone()) /></label>
            <label class="wide">"Description" <textarea name="description" rows="3" maxlength="2000">{v.as_ref().map(|p| p.description.clone())}</textarea></label>
            <label class="check">
                <input type="checkbox" name="active" value="yes" checked={v.as_ref().is_none_or(|p| p.active)} />
                "For sale (shown to shoppers)"
            </label>
        </div>
    }
}

#[component]
fn NewProduct() -> impl IntoView {
    view! {
        <Card title_id="new-product-title" title="Add a product">
            <form method="post" action="/products" data-testid="new-product">
                <ProductFields />
                <button type="submit" class="primary">"Add product"</button>
            </form>
        </Card>
    }
}

#[component]
fn Import() -> impl IntoView {
    view! {
        <Card title_id="import-title" title="Import from a spreadsheet">
            <p class="muted">
                "Save your sheet as CSV with a first line naming the columns: "
                <code>"sku,name,price"</code> " and optionally "
                <code>"description,currency,stock,active,collections,image_url"</code>
                ". Products with a SKU you already have are updated. If any row has a problem, nothing is imported and every problem is listed."
            </p>
            <form method="post" action="/products/import" enctype="multipart/form-data" class="inline-form">
                <label for="csv-file">"CSV file"</label>
                <input id="csv-file" type="file" name="file" accept=".csv,text/csv" required />
                <button type="submit">"Import"</button>
            </form>
        </Card>
    }
}

/// `/products/{id}`.
#[component]
pub fn ProductEdit() -> impl IntoView {
    let id = param("id");
    let product = Resource::new(id, get_product);
    view! {
        <WidePage title="Edit product">
            <p class="crumbs"><a href="/products">"Products"</a> " › Edit"</p>
            <Loaded data=product loading="Loading…" let:p>
                {edit_form(p)}
            </Loaded>
        </WidePage>
    }
}

/// The heading and form of the product editor.
fn edit_form(p: ProductView) -> impl IntoView {
    let action = format!("/products/{}", p.id);
    view! {
        <h1>"Edit " {p.name.clone()}</h1>
        <form method="post" action=action class="card">
            <ProductFields p=p />
            <button type="submit" class="primary">"Save"</button>
            " "
            <a href="/products">"Cancel"</a>
        </form>
    }
}
