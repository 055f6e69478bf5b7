//! Drawing: the app state as ratatui widgets. Only the visible rows are turned
//! into widgets, so a list of 50,000 rows costs no more than a screenful.

use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row, Table, Wrap};

use super::app::{App, Mode, Pane, ScreenKind};
use super::keymap;
use super::query_view;
use super::views::{self, Tone, ViewKind};
use crate::audit::{Severity, summary};

/// Colours, or their monochrome stand-ins when `NO_COLOR` is set.
#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    pub fn from_env() -> Theme {
        Theme {
            color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }

    pub fn sev(&self, s: Severity) -> Style {
        if self.color {
            let c = match s {
                Severity::Critical => Color::LightRed,
                Severity::High => Color::Red,
                Severity::Medium => Color::Yellow,
                Severity::Low => Color::Cyan,
                Severity::Info => Color::Gray,
            };
            let st = Style::default().fg(c);
            if s == Severity::Critical {
                st.add_modifier(Modifier::BOLD)
            } else {
                st
            }
        } else {
            match s {
                Severity::Critical => {
                    Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
                }
                Severity::High => Style::default().add_modifier(Modifier::BOLD),
                Severity::Medium => Style::default().add_modifier(Modifier::UNDERLINED),
                Severity::Low => Style::default(),
                Severity::Info => Style::default().add_modifier(Modifier::DIM),
            }
        }
    }

    fn tone(&self, t: Tone) -> Style {
        match t {
            Tone::Plain => Style::default(),
            Tone::Heading => Style::default().add_modifier(Modifier::BOLD),
            Tone::Key => {
                if self.color {
                    Style::default().fg(Color::Blue)
                } else {
                    Style::default().add_modifier(Modifier::BOLD)
                }
            }
            Tone::Dim => Style::default().add_modifier(Modifier::DIM),
            Tone::Code => {
                if self.color {
                    Style::default().fg(Color::Green)
                } else {
                    Style::default()
                }
            }
            Tone::Highlight => {
                if self.color {
                    Style::default()
                        .fg(Color::Yellow)
                        .add_modifier(Modifier::BOLD)
                } else {
                    Style::default().add_modifier(Modifier::BOLD)
                }
            }
            Tone::Sev(s) => self.sev(s),
        }
    }

    fn accent(&self) -> Style {
        if self.color {
            Style::default()
                .fg(Color::Cyan)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::default().add_modifier(Modifier::BOLD)
        }
    }

    fn selected(&self, focused: bool) -> Style {
        if focused {
            Style::default().add_modifier(Modifier::REVERSED)
        } else {
            Style::default().add_modifier(Modifier::UNDERLINED)
        }
    }

    fn banner(&self) -> Style {
        if self.color {
            Style::default()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        }
    }
}

/// Whether list and detail sit side by side.
fn wide(area: Rect) -> bool {
    area.width >= 120
}

/// The list pane's rectangle for a frame of this size (for mouse hits and paging).
pub fn layout(area: Rect, banner: bool) -> (Rect, Rect, Rect, Rect) {
    let mut constraints = vec![
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ];
    if banner {
        constraints.push(Constraint::Length(1));
    }
    constraints.push(Constraint::Min(1));
    constraints.push(Constraint::Length(1));
    let parts = Layout::default()
        .direction(Direction::Vertical)
        .constraints(constraints)
        .split(area);
    let main = parts[parts.len() - 2];
    let status = parts[parts.len() - 1];
    let (list, detail) = if wide(area) {
        let cols = Layout::default()
            .direction(Direction::Horizontal)
            .constraints([Constraint::Percentage(58), Constraint::Percentage(42)])
            .split(main);
        (cols[0], cols[1])
    } else {
        let rows = Layout::default()
            .direction(Direction::Vertical)
            .constraints([Constraint::Percentage(55), Constraint::Percentage(45)])
            .split(main);
        (rows[0], rows[1])
    };
    (parts[0], list, detail, status)
}

/// Rows of the list that fit in its pane (inside the border, below the header).
pub fn page_size(list: Rect) -> usize {
    list.height.saturating_sub(3).max(1) as usize
}

pub fn draw(f: &mut Frame, app: &mut App, theme: Theme) {
    let area = f.area();
    if area.width < 20 || area.height < 5 {
        f.render_widget(Paragraph::new("iamscope: enlarge the terminal"), area);
        return;
    }
    let (top, list, detail, status) = layout(area, app.banner.is_some());
    app.page = page_size(list);
    app.refresh_cache();

    // Header, tabs, breadcrumbs and the banner: one line each.
    let _ = top;
    let header_rows: Vec<Rect> = (0..4u16)
        .map(|i| Rect {
            y: area.y + i,
            height: 1,
            ..area
        })
        .collect();
    f.render_widget(
        Paragraph::new(header_line(app, theme, area.width < 120)),
        header_rows[0],
    );
    f.render_widget(
        Paragraph::new(tabs_line(app, theme, area.width < 120)),
        header_rows[1],
    );
    let mut crumbs = vec![Span::styled(
        app.breadcrumbs(),
        Style::default().add_modifier(Modifier::BOLD),
    )];
    let filter = &app.screen().filter;
    if !filter.is_empty() {
        crumbs.push(Span::raw(format!("  /{}", filter.text)));
        crumbs.push(Span::styled(
            format!(
                "  ({} of {})",
                app.visible().len(),
                app.table().map(|t| t.rows.len()).unwrap_or(0)
            ),
            Style::default().add_modifier(Modifier::DIM),
        ));
    }
    f.render_widget(Paragraph::new(Line::from(crumbs)), header_rows[2]);
    if let Some(b) = &app.banner {
        f.render_widget(
            Paragraph::new(Span::styled(format!(" ⚠ {b}"), theme.banner())),
            header_rows[3],
        );
    }

    draw_list(f, app, theme, list);
    draw_detail(f, app, theme, detail);
    draw_status(f, app, theme, status);
    if app.mode == Mode::Help {
        draw_help(f, theme, area);
    }
}

fn header_line(app: &App, theme: Theme, narrow: bool) -> Line<'static> {
    let mut spans = vec![Span::styled(" iamscope ", theme.accent())];
    match &app.model {
        Some(m) => {
            spans.push(Span::raw(if narrow {
                format!(
                    "│ {} │ {} ",
                    m.cluster(),
                    m.inv.account.as_deref().unwrap_or("-")
                )
            } else {
                format!(
                    "│ cluster {} │ account {} │ {} ",
                    m.cluster(),
                    m.inv.account.as_deref().unwrap_or("-"),
                    app.source_label
                )
            }));
            spans.push(Span::raw("│ "));
            for (s, n) in summary(&m.findings) {
                let label = if narrow {
                    format!("{n}{}", s.as_str()[..1].to_uppercase())
                } else {
                    format!("{n} {s}")
                };
                spans.push(Span::styled(label, theme.sev(s)));
                spans.push(Span::raw(" "));
            }
        }
        None => spans.push(Span::raw(format!("│ {} ", app.source_label))),
    }
    if let Some(l) = &app.loading {
        spans.push(Span::styled(format!("│ ⟳ {l}"), theme.accent()));
    }
    Line::from(spans)
}

fn tabs_line(app: &App, theme: Theme, narrow: bool) -> Line<'static> {
    let root = app.root_view();
    let mut spans = Vec::new();
    for (i, v) in ViewKind::ALL.iter().enumerate() {
        let label = if narrow {
            format!(" {} {} ", i + 1, v.short_title())
        } else {
            format!(" {} {} ", i + 1, v.title())
        };
        if *v == root {
            spans.push(Span::styled(label, theme.selected(true)));
        } else {
            spans.push(Span::raw(label));
        }
    }
    let _ = theme;
    Line::from(spans)
}

fn draw_list(f: &mut Frame, app: &App, theme: Theme, area: Rect) {
    let focused = app.pane == Pane::List;
    let border = if focused {
        theme.accent()
    } else {
        Style::default()
    };
    let Some(table) = app.table() else {
        let msg = app.loading.clone().unwrap_or_else(|| {
            "nothing was loaded (the banner says why); r retries, q quits".into()
        });
        let spinner = if app.loading.is_some() { "⟳ " } else { "" };
        f.render_widget(
            Paragraph::new(format!("{spinner}{msg}"))
                .wrap(Wrap { trim: true })
                .block(
                    Block::default()
                        .borders(Borders::ALL)
                        .border_style(border)
                        .title(" loading "),
                ),
            area,
        );
        return;
    };
    let visible = app.visible();
    let screen = app.screen();
    let title = format!(" {} [{}] ", table.title, visible.len());
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(border)
        .title(title);
    if visible.is_empty() {
        let why = if table.rows.is_empty() {
            table.empty.clone()
        } else {
            format!(
                "no rows match /{} (Esc clears the filter)",
                screen.filter.text
            )
        };
        f.render_widget(
            Paragraph::new(why).wrap(Wrap { trim: true }).block(block),
            area,
        );
        return;
    }
    let page = page_size(area);
    let end = (screen.offset + page).min(visible.len());
    let rows: Vec<Row> = visible[screen.offset..end]
        .iter()
        .enumerate()
        .map(|(k, &i)| {
            let r = &table.rows[i];
            let selected = screen.offset + k == screen.selected;
            let cells: Vec<Cell> = r
                .cells
                .iter()
                .enumerate()
                .map(|(c, text)| {
                    let style = match (c, r.severity) {
                        (0, Some(s)) => theme.sev(s),
                        _ => Style::default(),
                    };
                    Cell::from(Span::styled(text.clone(), style))
                })
                .collect();
            let row = Row::new(cells);
            if selected {
                row.style(theme.selected(focused))
            } else {
                row
            }
        })
        .collect();
    let widths: Vec<Constraint> = table
        .widths
        .iter()
        .map(|w| match w {
            views::Col::Fixed(n) => Constraint::Length(*n),
            views::Col::Fill(n) => Constraint::Fill(*n),
        })
        .collect();
    let header = Row::new(
        table
            .headers
            .iter()
            .map(|h| Cell::from(*h))
            .collect::<Vec<_>>(),
    )
    .style(Style::default().add_modifier(Modifier::BOLD | Modifier::DIM));
    let t = Table::new(rows, widths)
        .header(header)
        .block(block)
        .column_spacing(1);
    f.render_widget(t, area);
}

fn draw_detail(f: &mut Frame, app: &mut App, theme: Theme, area: Rect) {
    let focused = app.pane == Pane::Detail;
    let border = if focused {
        theme.accent()
    } else {
        Style::default()
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(border)
        .title(" Detail ");
    let node = app
        .selected_node()
        .cloned()
        .map(|node| match &app.screen().kind {
            // In a path view the rows are steps; the detail is the path's origin.
            ScreenKind::Path(n) | ScreenKind::PathBetween(_, n)
                if matches!(node, views::Node::Info(_)) =>
            {
                n.clone()
            }
            _ => node,
        });
    let lines: Vec<Line> = match (app.model.is_some(), node) {
        (true, Some(node)) => app
            .detail_lines(&node)
            .iter()
            .map(|l| {
                Line::from(
                    l.iter()
                        .map(|(s, t)| Span::styled(s.clone(), theme.tone(*t)))
                        .collect::<Vec<_>>(),
                )
            })
            .collect(),
        (true, None) => vec![Line::from("Select a row.")],
        (false, _) => vec![Line::from(app.loading.clone().unwrap_or_default())],
    };
    let max_scroll = (lines.len() as u16).saturating_sub(1);
    let p = Paragraph::new(lines)
        .block(block)
        .wrap(Wrap { trim: false })
        .scroll((app.detail_scroll.min(max_scroll), 0));
    f.render_widget(p, area);
}

fn draw_status(f: &mut Frame, app: &App, theme: Theme, area: Rect) {
    let line = match &app.mode {
        Mode::Command(t) => Line::from(vec![
            Span::styled(":", theme.accent()),
            Span::raw(t.clone()),
            Span::raw("▏"),
        ]),
        Mode::Filter(t) => {
            let mut spans = vec![
                Span::styled("/", theme.accent()),
                Span::raw(t.clone()),
                Span::raw("▏"),
            ];
            if let Some(err) = &app.status {
                spans.push(Span::styled(
                    format!("  {err}"),
                    theme.sev(Severity::Medium),
                ));
            }
            Line::from(spans)
        }
        _ => match (&app.status, app.questions.progress()) {
            (Some(s), Some(p)) => Line::from(vec![
                Span::styled(p, theme.accent()),
                Span::raw(" │ "),
                Span::styled(s.clone(), theme.accent()),
            ]),
            (None, Some(p)) => Line::from(Span::styled(p, theme.accent())),
            (Some(s), None) => Line::from(Span::styled(s.clone(), theme.accent())),
            (None, None) => Line::from(Span::styled(
                keymap::hints(),
                Style::default().add_modifier(Modifier::DIM),
            )),
        },
    };
    f.render_widget(Paragraph::new(line), area);
}

fn draw_help(f: &mut Frame, theme: Theme, area: Rect) {
    let w = area.width.saturating_sub(4).min(84);
    let mut lines = vec![Line::from(Span::styled(
        "Keys",
        Style::default().add_modifier(Modifier::BOLD),
    ))];
    for b in keymap::BINDINGS {
        lines.push(Line::from(vec![
            Span::styled(format!("{:<10}", b.keys), theme.accent()),
            Span::raw(b.help),
        ]));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        "Questions (as iamscope can-i / who-can / reach)",
        Style::default().add_modifier(Modifier::BOLD),
    )));
    for (k, help) in query_view::HELP {
        lines.push(Line::from(vec![
            Span::styled(format!("{k:<22}"), theme.accent()),
            Span::raw(*help),
        ]));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        "any key closes this help",
        Style::default().add_modifier(Modifier::DIM),
    )));
    let h = area.height.saturating_sub(2).min(lines.len() as u16 + 2);
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines)
            .block(Block::default().borders(Borders::ALL).title(" Help "))
            .wrap(Wrap { trim: false }),
        r,
    );
}
