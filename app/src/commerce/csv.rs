//! Catalog CSV import, pure: parses RFC 4180 CSV and turns each row into a
//! product, collecting every problem with its row number so the merchant can
//! fix the whole file at once. Nothing is imported unless every row is good.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::catalog::{Product, check_sku};
use super::money::{Currency, Money};

/// Most data rows one import takes.
pub const MAX_ROWS: usize = 5000;

/// The problems of one row (row 1 is the header).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RowErrors {
    /// The line number in the file, counting the header as 1.
    pub row: usize,
    /// What is wrong, one sentence each.
    pub errors: Vec<String>,
}

/// Appends one CSV record (RFC 4180, ending with CRLF) to `out`. A field
/// holding a comma, a quote, a line break or leading or trailing space is
/// quoted, its quotes doubled. A field a spreadsheet would run as a formula
/// (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a
/// `'` in front, so an exported file opened in Excel or Sheets shows the
/// text instead of running it.
pub fn write_record<S: AsRef<str>>(out: &mut String, fields: &[S]) {
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let field = field.as_ref();
        let guard = field.starts_with(['=', '+', '-', '@', '\t', '\r']);
        let quote = guard
            || field.contains([',', '"', '\n', '\r'])
            || field.starts_with(' ')
            || field.ends_with(' ');
        if quote {
            out.push('"');
        }
        if guard {
            out.push('\'');
        }
        for c in field.chars() {
            if c == '"' {
                out.push('"');
            }
            out.push(c);
        }
        if quote {
            out.push('"');
        }
    }
    out.push_str("\r\n");
}

/// Splits CSV text into records. Quoted fields may hold commas, quotes
/// (doubled) and line breaks. Returns each record with its starting line.
pub fn parse_csv(text: &str) -> Result<Vec<(usize, Vec<String>)>, RowErrors> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut record: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut line = 1;
    let mut start_line = 1;
    let mut chars = text.chars().peekable();
    let mut field_started = false;
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                other => field.push(other),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() && !field_started => {
                in_quotes = true;
                field_started = true;
            }
            '"' => {
                return Err(RowErrors {
                    row: line,
                    errors: vec!["A quote appears inside an unquoted value; put the whole value in quotes and double the quote.".into()],
                });
            }
            ',' => {
                record.push(std::mem::take(&mut field));
                field_started = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                record.push(std::mem::take(&mut field));
                field_started = false;
                if !(record.len() == 1 && record[0].is_empty()) {
                    records.push((start_line, std::mem::take(&mut record)));
                } else {
                    record.clear();
                }
                line += 1;
                start_line = line;
            }
            other => {
                field.push(other);
                field_started = true;
            }
        }
    }
    if in_quotes {
        return Err(RowErrors {
            row: start_line,
            errors: vec!["A quoted value is never closed.".into()],
        });
    }
    if field_started || !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push((start_line, record));
    }
    Ok(records)
}

const COLUMNS: &[&str] = &[
    "sku",
    "name",
    "description",
    "price",
    "currency",
    "image_url",
    "stock",
    "active",
    "collections",
];

/// The optional columns a file has. Importing updates an existing product
/// (found by SKU) in these columns only, besides `name` and `price`: a file
/// without a `stock` column leaves every product's stock as it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Columns {
    /// `description`.
    pub description: bool,
    /// `currency`.
    pub currency: bool,
    /// `image_url`.
    pub image_url: bool,
    /// `stock`.
    pub stock: bool,
    /// `active`.
    pub active: bool,
    /// `collections`.
    pub collections: bool,
}

/// A good file: its products and the columns it has.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvImport {
    /// One per row, in file order. Columns the file does not have hold
    /// their defaults and must not overwrite an existing product's.
    pub products: Vec<Product>,
    /// The optional columns present.
    pub columns: Columns,
}

/// Turns a CSV file into products: every row valid, or every row's problems.
/// See [`import_csv`] for the columns; new products are assumed.
pub fn products_from_csv(
    text: &str,
    default_currency: Currency,
) -> Result<Vec<Product>, Vec<RowErrors>> {
    import_csv(text, default_currency, |_| None).map(|i| i.products)
}

/// Reads a CSV file for import: every row valid, or every row's problems.
/// Columns (header names, any order, case-insensitive): `sku`, `name` and
/// `price` are required; `description`, `currency`, `image_url`, `stock`
/// (empty: not tracked), `active` (yes/no) and `collections` (separated by
/// `|` or `;`) are optional. A price is in the row's currency; without one,
/// in the currency the product already has (`existing` tells it by SKU), or
/// else in `default_currency`.
pub fn import_csv(
    text: &str,
    default_currency: Currency,
    existing: impl Fn(&str) -> Option<Currency>,
) -> Result<CsvImport, Vec<RowErrors>> {
    let records = parse_csv(text).map_err(|e| vec![e])?;
    let Some(((header_line, header), rows)) = records.split_first() else {
        return Err(vec![RowErrors {
            row: 1,
            errors: vec![
                "The file is empty. The first line must name the columns: sku,name,price,…".into(),
            ],
        }]);
    };
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    let mut header_errors = Vec::new();
    let names: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
    for (i, name) in names.iter().enumerate() {
        match COLUMNS.iter().find(|c| **c == name) {
            Some(c) => {
                if index.insert(c, i).is_some() {
                    header_errors.push(format!("The column “{name}” appears twice."));
                }
            }
            None => header_errors.push(format!(
                "Unknown column “{name}”. Use: {}.",
                COLUMNS.join(", ")
            )),
        }
    }
    for required in ["sku", "name", "price"] {
        if !index.contains_key(required) {
            header_errors.push(format!("The column “{required}” is missing."));
        }
    }
    if !header_errors.is_empty() {
        return Err(vec![RowErrors {
            row: *header_line,
            errors: header_errors,
        }]);
    }
    if rows.len() > MAX_ROWS {
        return Err(vec![RowErrors {
            row: *header_line,
            errors: vec![format!(
                "The file has {} products; import at most {MAX_ROWS} at a time.",
                rows.len()
            )],
        }]);
    }
    let mut products = Vec::new();
    let mut problems = Vec::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (line, fields) in rows {
        let get = |col: &str| -> &str {
            index
                .get(col)
                .and_then(|&i| fields.get(i))
                .map(|s| s.trim())
                .unwrap_or("")
        };
        let mut errors = Vec::new();
        if fields.len() != header.len() {
            errors.push(format!(
                "This row has {} values but the header has {} columns.",
                fields.len(),
                header.len()
            ));
        }
        let sku = get("sku").to_string();
        if let Err(e) = check_sku(&sku) {
            errors.push(e);
        } else if let Some(first) = seen.insert(sku.clone(), *line) {
            errors.push(format!("The SKU “{sku}” is also on row {first}."));
        }
        let name = get("name").to_string();
        if name.is_empty() {
            errors.push("The name is empty.".into());
        } else if name.chars().count() > 200 {
            errors.push("Keep the name to at most 200 characters.".into());
        }
        let currency = match get("currency") {
            "" => Some(existing(&sku).unwrap_or(default_currency)),
            code => {
                let c = Currency::parse(code);
                if c.is_none() {
                    errors.push(format!("“{code}” is not a currency code like USD or EUR."));
                }
                c
            }
        };
        let price = currency.and_then(|c| match Money::parse(get("price"), c) {
            Ok(m) if m.minor >= 0 => Some(m),
            Ok(_) => {
                errors.push("The price cannot be negative.".into());
                None
            }
            Err(_) if get("price").is_empty() => {
                errors.push("The price is empty.".into());
                None
            }
            Err(e) => {
                errors.push(format!("Price: {e}."));
                None
            }
        });
        let stock = match get("stock") {
            "" => None,
            s => {
                match s.parse::<u32>() {
                    Ok(n) => Some(n),
                    Err(_) => {
                        errors.push(format!("Stock “{s}” must be a whole number of units, or empty when not tracked."));
                        None
                    }
                }
            }
        };
        let active = match get("active").to_lowercase().as_str() {
            "" | "yes" | "y" | "true" | "1" | "active" => true,
            "no" | "n" | "false" | "0" | "inactive" => false,
            other => {
                errors.push(format!("Active “{other}” must be yes or no."));
                true
            }
        };
        let image_url = match get("image_url") {
            "" => None,
            url if crate::channel::is_web_address(url) => Some(url.to_string()),
            url => {
                errors.push(format!(
                    "The image address “{url}” must start with https://."
                ));
                None
            }
        };
        let collections: Vec<String> = get("collections")
            .split(['|', ';'])
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect();
        if !errors.is_empty() {
            problems.push(RowErrors { row: *line, errors });
            continue;
        }
        if let Some(price) = price {
            products.push(Product {
                sku,
                name,
                description: get("description").to_string(),
                price,
                image_url,
                stock,
                active,
                collections,
            });
        }
    }
    if problems.is_empty() {
        let has = |c: &str| index.contains_key(c);
        Ok(CsvImport {
            products,
            columns: Columns {
                description: has("description"),
                currency: has("currency"),
                image_url: has("image_url"),
                stock: has("stock"),
                active: has("active"),
                collections: has("collections"),
            },
        })
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd() -> Currency {
        Currency::parse("USD").unwrap()
    }

    #[test]
    fn csv_handles_quotes_commas_and_line_breaks() {
        let text = "a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\n\n1,2,3";
        let records = parse_csv(text).unwrap();
        assert_eq!(records.len(), 3);
        assert_eq!(records[1].1, vec!["x, y", "say \"hi\"", "two\nlines"]);
        assert_eq!(
            records[2].0, 5,
            "line numbers count the embedded line break"
        );
        assert!(parse_csv("a,\"open").is_err());
        assert!(parse_csv("a,b\"c").is_err());
        assert_eq!(parse_csv("\u{feff}sku\nX").unwrap()[0].1, vec!["sku"]);
    }

    #[test]
    fn a_good_file_becomes_products() {
        let text = "SKU,Name,Price,Stock,Collections,Active,Currency\n\
                    RUN-1,Runner,89.90,5,Shoes|Sale,yes,\n\
                    SOCK,Socks,9,,Extras,no,EUR\n";
        let products = products_from_csv(text, usd()).unwrap();
        assert_eq!(products.len(), 2);
        assert_eq!(products[0].price, Money::new(8990, usd()));
        assert_eq!(products[0].stock, Some(5));
        assert_eq!(products[0].collections, ["Shoes", "Sale"]);
        assert_eq!(products[1].price.currency.code(), "EUR");
        assert_eq!(products[1].stock, None);
        assert!(!products[1].active);
    }

    #[test]
    fn every_bad_row_is_reported_with_its_number() {
        let text = "sku,name,price,stock\n\
                    A,Alpha,10,1\n\
                    ,Nameless sku,5,\n\
                    B,,abc,-1\n\
                    A,Again,1,\n";
        let errors = products_from_csv(text, usd()).unwrap_err();
        let rows: Vec<usize> = errors.iter().map(|e| e.row).collect();
        assert_eq!(rows, [3, 4, 5]);
        assert_eq!(errors[1].errors.len(), 3, "{:?}", errors[1]);
        assert!(errors[2].errors[0].contains("also on row 2"));
    }

    #[test]
    fn an_import_knows_its_columns_and_the_products_currencies() {
        let jpy = Currency::parse("JPY").unwrap();
        let text = "sku,name,price\nOLD,Tea,1200\nNEW,Cup,3.50\n";
        let existing = |sku: &str| (sku == "OLD").then_some(jpy);
        let import = import_csv(text, usd(), existing).unwrap();
        assert_eq!(
            import.columns,
            Columns::default(),
            "only the required columns"
        );
        assert_eq!(
            import.products[0].price,
            Money::new(1200, jpy),
            "kept in yen"
        );
        assert_eq!(import.products[1].price, Money::new(350, usd()));
        // In yen, "3.50" would be refused, not read as 350 yen.
        let errors = import_csv("sku,name,price\nOLD,Tea,3.50\n", usd(), existing).unwrap_err();
        assert!(errors[0].errors[0].contains("JPY"), "{errors:?}");

        let all = "sku,name,price,description,currency,image_url,stock,active,collections\n\
                   A,Alpha,1,,,,,,\n";
        let import = import_csv(all, usd(), |_| None).unwrap();
        assert_eq!(
            import.columns,
            Columns {
                description: true,
                currency: true,
                image_url: true,
                stock: true,
                active: true,
                collections: true,
            }
        );
        let some = import_csv("Stock,sku,name,price\n4,A,Alpha,1", usd(), |_| None).unwrap();
        assert!(some.columns.stock && !some.columns.description);
        assert_eq!(some.products[0].stock, Some(4));
    }

    #[test]
    fn header_problems_stop_everything() {
        let errors = products_from_csv("sku,title,price\nA,B,1", usd()).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].row, 1);
        assert!(
            errors[0]
                .errors
                .iter()
                .any(|e| e.contains("Unknown column “title”"))
        );
        assert!(
            errors[0]
                .errors
                .iter()
                .any(|e| e.contains("“name” is missing"))
        );
        assert!(products_from_csv("", usd()).is_err());
    }

    #[test]
    fn written_records_read_back_and_formulas_are_defused() {
        let mut out = String::new();
        write_record(&mut out, &["number", "shopper"]);
        write_record(
            &mut out,
            &[
                "a, b",
                "say \"hi\"",
                "two\nlines",
                "=SUM(A1)",
                "-3",
                "+1 650",
                "@x",
                "plain",
            ],
        );
        assert!(out.starts_with("number,shopper\r\n"));
        let records = parse_csv(&out).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(
            records[1].1,
            [
                "a, b",
                "say \"hi\"",
                "two\nlines",
                "'=SUM(A1)",
                "'-3",
                "'+1 650",
                "'@x",
                "plain"
            ]
        );
    }
}
