//! A Kubernetes request as the RBAC authorizer sees it: verb, API group,
//! resource and subresource, name, namespace, or a non-resource URL.

use super::*;

/// The object name of a request, as the authorizer sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Name<'r> {
    /// No name (list, watch, create, deletecollection): rules with resourceNames do not apply.
    None,
    /// One named object.
    Named(&'r str),
    /// Some object, whichever: rules with resourceNames apply too.
    Any,
}

/// A resource request: `kubectl auth can-i VERB RESOURCE[/SUB] [-n NS] [NAME]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request<'r> {
    pub verb: &'r str,
    pub api_group: &'r str,
    pub resource: &'r str,
    /// Empty when none.
    pub subresource: &'r str,
    /// `None`: a cluster-scoped request, or one across all namespaces.
    pub namespace: Option<&'r str>,
    pub name: Name<'r>,
}

impl<'r> Request<'r> {
    /// `resource` may carry a subresource: `pods/exec`.
    pub fn new(verb: &'r str, api_group: &'r str, resource: &'r str) -> Request<'r> {
        let (resource, subresource) = resource.split_once('/').unwrap_or((resource, ""));
        Request {
            verb,
            api_group,
            resource,
            subresource,
            namespace: None,
            name: Name::None,
        }
    }
    pub fn in_ns(mut self, ns: &'r str) -> Request<'r> {
        self.namespace = Some(ns);
        self
    }
    pub fn named(mut self, name: &'r str) -> Request<'r> {
        self.name = Name::Named(name);
        self
    }
    pub fn any_name(mut self) -> Request<'r> {
        self.name = Name::Any;
        self
    }
}

impl fmt::Display for Request<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ", self.verb)?;
        if !self.api_group.is_empty() {
            write!(f, "{}.", self.api_group)?;
        }
        f.write_str(self.resource)?;
        if !self.subresource.is_empty() {
            write!(f, "/{}", self.subresource)?;
        }
        if let Name::Named(n) = self.name {
            write!(f, " {n}")?;
        }
        match self.namespace {
            Some(ns) => write!(f, " in namespace {ns}"),
            None => f.write_str(" cluster-wide"),
        }
    }
}
