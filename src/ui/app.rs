//! UI state and its update function. Terminal-free: keys come in, state and
//! effects (copy, export, reload) come out, so it is tested without a screen.

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::filter::Filter;
use super::keymap::{self, Action};
use super::query_view::{self, Questions};
use super::views::{self, Model, Node, Table, ViewKind};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScreenKind {
    View(ViewKind),
    Related(Node),
    Path(Node),
    /// The links between a marked node and another.
    PathBetween(Node, Node),
    /// Kubeconfig contexts (live mode), the current one marked.
    Contexts(Vec<String>, Option<String>),
    /// The answer to a question (`:can`, `:who`, `:reach`), by its id.
    Query(usize),
    /// One path of an answer: its hops and their evidence.
    QueryPath(usize, query_view::Item),
}

#[derive(Debug, Clone)]
pub struct Screen {
    pub kind: ScreenKind,
    pub selected: usize,
    pub offset: usize,
    pub filter: Filter,
    /// The table's title once built, for the breadcrumbs (a related table can
    /// have tens of thousands of rows: not rebuilt every frame for its title).
    pub title: Option<String>,
}

impl Screen {
    pub fn new(kind: ScreenKind) -> Screen {
        Screen {
            kind,
            selected: 0,
            offset: 0,
            filter: Filter::default(),
            title: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Normal,
    Command(String),
    Filter(String),
    Help,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    List,
    Detail,
}

/// Work for the runner: things that touch the terminal, files or sources.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Copy(String),
    Export {
        json: bool,
    },
    Reload,
    ToggleSystem,
    /// `:ctx`: list the kubeconfig's contexts.
    ListContexts,
    SwitchContext(String),
}

pub struct App {
    pub model: Option<Arc<Model>>,
    /// What is being loaded, while it is.
    pub loading: Option<String>,
    /// A source failure or other warning that must not look like a clean pane.
    pub banner: Option<String>,
    pub source_label: String,
    pub screens: Vec<Screen>,
    forward: Vec<Screen>,
    pub mode: Mode,
    pub pane: Pane,
    pub detail_scroll: u16,
    pub status: Option<String>,
    /// A node marked with `m`, for a path between two nodes.
    pub mark: Option<Node>,
    pub quit: bool,
    /// Rows that fit in the list pane, set by the renderer.
    pub page: usize,
    pub effects: Vec<Effect>,
    cache: Option<Cached>,
    /// Tables of the screens last left, newest last (see [`App::park`]).
    parked: Vec<Cached>,
    /// The detail pane's text for the selected node (built once per selection).
    detail_cache: Option<(Node, usize, Vec<views::Line>)>,
    filter_backup: Option<Filter>,
    /// Answers to questions, and the one being answered.
    pub questions: Questions,
}

struct Cached {
    kind: ScreenKind,
    filter: Filter,
    model_ptr: usize,
    table: Table,
    visible: Vec<usize>,
}

impl App {
    pub fn new(source_label: String) -> App {
        App {
            model: None,
            loading: Some("loading".into()),
            banner: None,
            source_label,
            screens: vec![Screen::new(ScreenKind::View(ViewKind::Findings))],
            forward: Vec::new(),
            mode: Mode::Normal,
            pane: Pane::List,
            detail_scroll: 0,
            status: None,
            mark: None,
            quit: false,
            page: 10,
            effects: Vec::new(),
            cache: None,
            parked: Vec::new(),
            detail_cache: None,
            filter_backup: None,
            questions: Questions::default(),
        }
    }

    pub fn set_model(&mut self, model: Model) {
        self.model = Some(Arc::new(model));
        self.loading = None;
        self.cache = None;
        // Tables of the last model (whose address the new one may reuse).
        let parked = std::mem::take(&mut self.parked);
        if !parked.is_empty() {
            std::thread::spawn(move || drop(parked));
        }
        self.refresh_cache();
    }

    pub fn screen(&self) -> &Screen {
        // There is always a root screen.
        &self.screens[self.screens.len() - 1]
    }

    fn screen_mut(&mut self) -> &mut Screen {
        let n = self.screens.len() - 1;
        &mut self.screens[n]
    }

    pub fn root_view(&self) -> ViewKind {
        match &self.screens[0].kind {
            ScreenKind::View(v) => *v,
            _ => ViewKind::Findings,
        }
    }

    /// Build (or reuse) the current table and the indices the filter keeps.
    pub fn refresh_cache(&mut self) {
        let Some(model) = self.model.clone() else {
            self.cache = None;
            return;
        };
        let ptr = Arc::as_ptr(&model) as usize;
        let screen = self.screen().clone();
        if let Some(c) = &self.cache
            && c.kind == screen.kind
            && c.model_ptr == ptr
        {
            if c.filter == screen.filter {
                return;
            }
            // Same table, new filter: only re-filter.
            let visible = filter_rows(&c.table, &screen.filter);
            if let Some(c) = self.cache.as_mut() {
                c.visible = visible;
                c.filter = screen.filter.clone();
            }
            self.clamp();
            return;
        }
        // A screen shown a moment ago (the list Esc goes back to): its table
        // is kept, not built again.
        if let Some(pos) = self
            .parked
            .iter()
            .rposition(|c| c.kind == screen.kind && c.model_ptr == ptr)
        {
            let mut c = self.parked.remove(pos);
            if c.filter != screen.filter {
                c.visible = filter_rows(&c.table, &screen.filter);
                c.filter = screen.filter.clone();
            }
            self.screen_mut().title = Some(c.table.title.clone());
            if let Some(old) = self.cache.replace(c) {
                self.park(old);
            }
            self.clamp();
            return;
        }
        let table = match &screen.kind {
            ScreenKind::View(v) => views::table(*v, &model),
            ScreenKind::Query(id) => query_view::table(&self.questions, *id),
            ScreenKind::QueryPath(id, item) => query_view::hops_table(&self.questions, *id, *item),
            ScreenKind::Related(n) => views::related(n, &model),
            ScreenKind::Contexts(names, current) => {
                let rows = names
                    .iter()
                    .map(|n| {
                        let mark = if current.as_deref() == Some(n.as_str()) {
                            "*"
                        } else {
                            ""
                        };
                        views::Row {
                            cells: vec![mark.to_string(), n.clone()],
                            severity: None,
                            node: views::Node::Context(n.clone()),
                            namespace: None,
                            rules: Vec::new(),
                            haystack: n.to_lowercase().into(),
                            new: false,
                        }
                    })
                    .collect();
                Table {
                    title: "Contexts".into(),
                    headers: vec!["", "CONTEXT"],
                    widths: vec![views::Col::Fixed(1), views::Col::Fill(100)],
                    rows,
                    empty: "no contexts in the kubeconfig".into(),
                }
            }
            ScreenKind::Path(_) | ScreenKind::PathBetween(..) => {
                let steps = match &screen.kind {
                    ScreenKind::PathBetween(a, b) => views::path_between(a, b, &model, 5000)
                        .unwrap_or_else(|| {
                            vec!["no link between the marked node and this one".into()]
                        }),
                    ScreenKind::Path(n) => views::path(n, &model),
                    _ => Vec::new(),
                };
                let rows = steps
                    .into_iter()
                    .enumerate()
                    .map(|(i, s)| views::Row {
                        cells: vec![if i == 0 { "  ".into() } else { "└▶".into() }, s.clone()],
                        severity: None,
                        node: views::Node::Info(s.clone()),
                        namespace: None,
                        rules: Vec::new(),
                        haystack: s.to_lowercase().into(),
                        new: false,
                    })
                    .collect();
                Table {
                    title: "Path".into(),
                    headers: vec!["", "STEP"],
                    widths: vec![views::Col::Fixed(2), views::Col::Fill(100)],
                    rows,
                    empty: "no path".into(),
                }
            }
        };
        let visible = filter_rows(&table, &screen.filter);
        self.screen_mut().title = Some(table.title.clone());
        if let Some(old) = self.cache.replace(Cached {
            kind: screen.kind.clone(),
            filter: screen.filter.clone(),
            model_ptr: ptr,
            table,
            visible,
        }) {
            self.park(old);
        }
        self.clamp();
    }

    /// Drop the tables kept for the way back (benchmarks: a first open).
    pub fn forget_kept_tables(&mut self) {
        self.parked.clear();
    }

    /// Keep the table of the screen just left, for the next few screens (the
    /// way back is shown without building its table again).
    fn park(&mut self, old: Cached) {
        const KEPT: usize = 4;
        self.parked.retain(|c| c.kind != old.kind);
        self.parked.push(old);
        if self.parked.len() > KEPT {
            let gone = self.parked.remove(0);
            // Freeing a table of tens of thousands of rows takes milliseconds of
            // the frame that shows the next one: done on a thread of its own.
            if gone.table.rows.len() > 10_000 {
                std::thread::spawn(move || drop(gone));
            }
        }
    }

    pub fn table(&self) -> Option<&Table> {
        self.cache.as_ref().map(|c| &c.table)
    }

    pub fn visible(&self) -> &[usize] {
        self.cache
            .as_ref()
            .map(|c| c.visible.as_slice())
            .unwrap_or(&[])
    }

    /// The detail lines of a node, computed once per (node, model).
    pub fn detail_lines(&mut self, node: &Node) -> &[views::Line] {
        let Some(model) = self.model.clone() else {
            return &[];
        };
        let ptr = Arc::as_ptr(&model) as usize;
        let fresh = matches!(&self.detail_cache, Some((n, p, _)) if n == node && *p == ptr);
        if !fresh {
            let lines = match node {
                Node::Query(r) => query_view::detail(&self.questions, r),
                _ => views::detail(node, &model),
            };
            self.detail_cache = Some((node.clone(), ptr, lines));
        }
        self.detail_cache
            .as_ref()
            .map(|(_, _, l)| l.as_slice())
            .unwrap_or(&[])
    }

    pub fn selected_node(&self) -> Option<&Node> {
        let c = self.cache.as_ref()?;
        let i = *c.visible.get(self.screen().selected)?;
        Some(&c.table.rows[i].node)
    }

    fn clamp(&mut self) {
        let n = self.visible().len();
        let page = self.page.max(1);
        let s = self.screen_mut();
        if n == 0 {
            s.selected = 0;
            s.offset = 0;
            return;
        }
        s.selected = s.selected.min(n - 1);
        if s.selected < s.offset {
            s.offset = s.selected;
        }
        if s.selected >= s.offset + page {
            s.offset = s.selected + 1 - page;
        }
        s.offset = s.offset.min(n.saturating_sub(1));
    }

    fn move_by(&mut self, delta: isize) {
        let n = self.visible().len();
        if n == 0 {
            return;
        }
        let s = self.screen_mut();
        let next = (s.selected as isize + delta).clamp(0, n as isize - 1);
        s.selected = next as usize;
        self.detail_scroll = 0;
        self.clamp();
    }

    pub fn select(&mut self, visible_index: usize) {
        self.screen_mut().selected = visible_index;
        self.detail_scroll = 0;
        self.clamp();
    }

    pub fn scroll(&mut self, delta: isize) {
        match self.pane {
            Pane::List => self.move_by(delta),
            Pane::Detail => self.scroll_detail(delta),
        }
    }

    fn scroll_detail(&mut self, delta: isize) {
        self.detail_scroll =
            (self.detail_scroll as isize + delta).clamp(0, u16::MAX as isize) as u16;
    }

    pub(crate) fn push(&mut self, kind: ScreenKind) {
        self.forward.clear();
        self.screens.push(Screen::new(kind));
        self.detail_scroll = 0;
        self.pane = Pane::List;
        self.refresh_cache();
    }

    fn back(&mut self) -> bool {
        if self.screens.len() > 1 {
            if let Some(s) = self.screens.pop() {
                self.forward.push(s);
            }
            self.detail_scroll = 0;
            self.refresh_cache();
            true
        } else {
            false
        }
    }

    /// Switch the root view, as `:sa` does: the drill-down history is kept for `[`.
    /// Show the kubeconfig's contexts (from `:ctx`).
    pub fn show_contexts(&mut self, names: Vec<String>, current: Option<String>) {
        self.push(ScreenKind::Contexts(names, current));
    }

    pub fn goto(&mut self, v: ViewKind) {
        self.forward.clear();
        self.screens.truncate(1);
        self.screens[0] = Screen::new(ScreenKind::View(v));
        self.pane = Pane::List;
        self.detail_scroll = 0;
        self.refresh_cache();
    }

    /// Breadcrumbs: `Findings › IRSA-005 payments/api › IamRole …`.
    pub fn breadcrumbs(&self) -> String {
        self.screens
            .iter()
            .map(|s| match &s.kind {
                ScreenKind::View(v) => v.title().to_string(),
                ScreenKind::Related(n) => s.title.clone().unwrap_or_else(|| {
                    self.model
                        .as_ref()
                        .map(|m| views::related(n, m).title)
                        .unwrap_or_default()
                }),
                ScreenKind::Path(_) | ScreenKind::PathBetween(..) => "Path".into(),
                ScreenKind::Contexts(..) => "Contexts".into(),
                ScreenKind::Query(_) | ScreenKind::QueryPath(..) => {
                    s.title.clone().unwrap_or_else(|| "Answer".into())
                }
            })
            .collect::<Vec<_>>()
            .join(" › ")
    }

    pub fn on_key(&mut self, key: KeyEvent) {
        self.refresh_cache();
        match self.mode.clone() {
            Mode::Help => {
                self.mode = Mode::Normal;
            }
            Mode::Command(mut text) => match key.code {
                KeyCode::Esc => self.mode = Mode::Normal,
                KeyCode::Enter => {
                    self.mode = Mode::Normal;
                    self.run_command(&text);
                }
                KeyCode::Backspace => {
                    if text.pop().is_none() {
                        self.mode = Mode::Normal;
                    } else {
                        self.mode = Mode::Command(text);
                    }
                }
                KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                    text.push(c);
                    self.mode = Mode::Command(text);
                }
                _ => {}
            },
            Mode::Filter(mut text) => match key.code {
                KeyCode::Esc => {
                    if let Some(f) = self.filter_backup.take() {
                        self.screen_mut().filter = f;
                    }
                    self.mode = Mode::Normal;
                    self.refresh_cache();
                }
                KeyCode::Enter => {
                    self.filter_backup = None;
                    self.mode = Mode::Normal;
                }
                KeyCode::Backspace => {
                    text.pop();
                    self.apply_filter(&text);
                    self.mode = Mode::Filter(text);
                }
                KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                    text.push(c);
                    self.apply_filter(&text);
                    self.mode = Mode::Filter(text);
                }
                _ => {}
            },
            Mode::Normal => {
                if key.code == KeyCode::Esc && query_view::abandon(self) {
                    return;
                }
                if let KeyCode::Char(c @ '1'..='8') = key.code {
                    let i = c as usize - '1' as usize;
                    self.goto(ViewKind::ALL[i]);
                    return;
                }
                if let Some(a) = keymap::action(key) {
                    self.on_action(a);
                }
            }
        }
    }

    fn apply_filter(&mut self, text: &str) {
        match Filter::parse(text) {
            Ok(f) => {
                self.screen_mut().filter = f;
                self.screen_mut().selected = 0;
                self.status = None;
                self.refresh_cache();
            }
            Err(e) => self.status = Some(format!("filter: {e}")),
        }
    }

    pub fn on_action(&mut self, a: Action) {
        self.status = None;
        if query_view::on_action(self, a) {
            return;
        }
        match a {
            Action::Ask => {}
            Action::Quit => self.quit = true,
            Action::Down => self.scroll(1),
            Action::Up => self.scroll(-1),
            Action::DetailDown => self.scroll_detail(3),
            Action::DetailUp => self.scroll_detail(-3),
            Action::PageDown => self.scroll(self.page.max(1) as isize),
            Action::PageUp => self.scroll(-(self.page.max(1) as isize)),
            Action::Top => match self.pane {
                Pane::List => self.select(0),
                Pane::Detail => self.detail_scroll = 0,
            },
            Action::Bottom => match self.pane {
                Pane::List => {
                    let n = self.visible().len();
                    self.select(n.saturating_sub(1));
                }
                Pane::Detail => self.detail_scroll = u16::MAX / 2,
            },
            Action::NextPane => {
                self.pane = match self.pane {
                    Pane::List => Pane::Detail,
                    Pane::Detail => Pane::List,
                }
            }
            Action::Open => {
                if let Some(node) = self.selected_node().cloned() {
                    if let Node::Context(name) = node {
                        self.back();
                        self.status = Some(format!("switching to context {name}…"));
                        self.effects.push(Effect::SwitchContext(name));
                    } else if matches!(node, Node::Info(_)) {
                        self.status = Some("nothing further to open here".into());
                    } else {
                        self.push(ScreenKind::Related(node));
                    }
                } else {
                    self.status = Some("nothing selected".into());
                }
            }
            Action::Path => {
                if let Some(node) = self.selected_node().cloned() {
                    match self.mark.take() {
                        Some(from) if from != node => {
                            self.push(ScreenKind::PathBetween(from, node))
                        }
                        _ => self.push(ScreenKind::Path(node)),
                    }
                }
            }
            Action::Mark => {
                self.mark = self.selected_node().cloned();
                self.status = Some("marked: p on another row shows the path between them".into());
            }
            Action::Back => {
                if !self.screen().filter.is_empty() {
                    self.screen_mut().filter = Filter::default();
                    self.refresh_cache();
                } else if !self.back() {
                    self.status = Some("at the top (q quits)".into());
                }
            }
            Action::HistoryBack => {
                if !self.back() {
                    self.status = Some("no earlier screen".into());
                }
            }
            Action::HistoryForward => match self.forward.pop() {
                Some(s) => {
                    self.screens.push(s);
                    self.refresh_cache();
                }
                None => self.status = Some("no later screen".into()),
            },
            Action::Command => self.mode = Mode::Command(String::new()),
            Action::Filter => {
                self.filter_backup = Some(self.screen().filter.clone());
                self.mode = Mode::Filter(self.screen().filter.text.clone());
            }
            Action::ToggleSystem => self.effects.push(Effect::ToggleSystem),
            Action::Copy => match (self.selected_node(), &self.model) {
                (Some(n), Some(m)) => {
                    let text = views::copy_text(n, m);
                    self.status = Some(format!("copied: {}", first_line(&text)));
                    self.effects.push(Effect::Copy(text));
                }
                _ => self.status = Some("nothing to copy".into()),
            },
            Action::Export => self.effects.push(Effect::Export { json: false }),
            Action::ExportJson => self.effects.push(Effect::Export { json: true }),
            Action::Refresh => self.effects.push(Effect::Reload),
            Action::Help => self.mode = Mode::Help,
            Action::NextView | Action::PrevView => {
                let all = ViewKind::ALL;
                let cur = all.iter().position(|v| *v == self.root_view()).unwrap_or(0);
                let next = if a == Action::NextView {
                    (cur + 1) % all.len()
                } else {
                    (cur + all.len() - 1) % all.len()
                };
                self.goto(all[next]);
            }
        }
    }

    pub fn run_command(&mut self, text: &str) {
        let cmd = text.trim().trim_start_matches(':');
        let word = cmd.split_whitespace().next().unwrap_or("");
        if word.is_empty() {
            return;
        }
        // Questions first: `:who ACTION…` asks, a bare `:who` is still the subjects view.
        if query_view::is_question(cmd) {
            query_view::ask(self, cmd);
            return;
        }
        if let Some(v) = ViewKind::from_command(word) {
            self.goto(v);
            // `:sa payments` filters the new view, like k9s' `:pods ns`.
            let rest: Vec<&str> = cmd.split_whitespace().skip(1).collect();
            if !rest.is_empty() {
                self.apply_filter(&rest.join(" "));
            }
            return;
        }
        match word {
            "q" | "q!" | "quit" | "exit" => self.quit = true,
            "help" | "h" | "?" => self.mode = Mode::Help,
            "ctx" | "context" | "contexts" => self.effects.push(Effect::ListContexts),
            "system" => self.effects.push(Effect::ToggleSystem),
            _ => {
                let names: Vec<&str> = ViewKind::ALL.iter().map(|v| v.commands()[0]).collect();
                self.status = Some(format!(
                    "unknown command :{word} — try :{} :ctx :q",
                    names.join(" :")
                ));
            }
        }
    }
}

fn filter_rows(t: &Table, f: &Filter) -> Vec<usize> {
    if f.is_empty() {
        return (0..t.rows.len()).collect();
    }
    t.rows
        .iter()
        .enumerate()
        .filter(|(_, r)| f.matches(r))
        .map(|(i, _)| i)
        .collect()
}

fn first_line(s: &str) -> String {
    let l = s.lines().next().unwrap_or("");
    if l.chars().count() > 60 {
        format!("{}…", l.chars().take(60).collect::<String>())
    } else {
        l.to_string()
    }
}
