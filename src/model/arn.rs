//! ARNs: a general parser and the strict IAM role ARN form IRSA needs.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arn {
    pub partition: String,
    pub service: String,
    pub region: String,
    pub account: String,
    pub resource: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArnError(pub String);

impl fmt::Display for ArnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ArnError {}

fn valid_partition(p: &str) -> bool {
    // aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-eusc, …
    p == "aws"
        || (p.starts_with("aws-")
            && p.len() > 4
            && p[4..]
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'))
}

impl Arn {
    /// `arn:partition:service:region:account:resource` (the resource may contain `:`).
    pub fn parse(s: &str) -> Result<Arn, ArnError> {
        let mut parts = s.splitn(6, ':');
        let (
            Some(prefix),
            Some(partition),
            Some(service),
            Some(region),
            Some(account),
            Some(resource),
        ) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        )
        else {
            return Err(ArnError(format!(
                "{s:?} is not an ARN: it needs six ':'-separated parts (arn:partition:service:region:account:resource)"
            )));
        };
        if prefix != "arn" {
            return Err(ArnError(format!(
                "{s:?} is not an ARN: it must start with \"arn:\""
            )));
        }
        if !valid_partition(partition) {
            return Err(ArnError(format!(
                "{s:?}: partition {partition:?} is not an AWS partition (aws, aws-cn, aws-us-gov, …)"
            )));
        }
        if service.is_empty()
            || !service
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(ArnError(format!(
                "{s:?}: service {service:?} is not a service name"
            )));
        }
        if resource.is_empty() {
            return Err(ArnError(format!("{s:?}: the resource part is empty")));
        }
        Ok(Arn {
            partition: partition.to_string(),
            service: service.to_string(),
            region: region.to_string(),
            account: account.to_string(),
            resource: resource.to_string(),
        })
    }
}

impl fmt::Display for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:{}:{}:{}:{}",
            self.partition, self.service, self.region, self.account, self.resource
        )
    }
}

/// A valid IAM role ARN: `arn:<partition>:iam::<12 digits>:role/<path/>name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleArn {
    pub partition: String,
    pub account: String,
    /// `/` or `/a/b/`.
    pub path: String,
    pub name: String,
}

impl RoleArn {
    pub fn parse(s: &str) -> Result<RoleArn, ArnError> {
        let s = s.trim();
        let arn = Arn::parse(s)?;
        if arn.service != "iam" {
            return Err(ArnError(format!(
                "{s:?}: service is {:?}, not \"iam\"",
                arn.service
            )));
        }
        if !arn.region.is_empty() {
            return Err(ArnError(format!(
                "{s:?}: IAM ARNs have no region, found {:?}",
                arn.region
            )));
        }
        if arn.account.len() != 12 || !arn.account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ArnError(format!(
                "{s:?}: account {:?} is not 12 digits",
                arn.account
            )));
        }
        let Some(rest) = arn.resource.strip_prefix("role/") else {
            return Err(ArnError(format!(
                "{s:?}: resource {:?} is not role/<name>",
                arn.resource
            )));
        };
        let (path, name) = match rest.rfind('/') {
            Some(i) => (format!("/{}", &rest[..=i]), &rest[i + 1..]),
            None => ("/".to_string(), rest),
        };
        if name.is_empty() || name.len() > 64 || !name.chars().all(valid_name_char) {
            return Err(ArnError(format!(
                "{s:?}: role name {name:?} is not valid (1-64 of letters, digits and +=,.@_-)"
            )));
        }
        if path.len() > 512
            || path.contains("//")
            || !path.chars().all(|c| ('!'..='~').contains(&c))
        {
            return Err(ArnError(format!("{s:?}: role path {path:?} is not valid")));
        }
        Ok(RoleArn {
            partition: arn.partition,
            account: arn.account,
            path,
            name: name.to_string(),
        })
    }

    /// The ARN without its path, as aws-iam-authenticator canonicalises assumed roles.
    pub fn without_path(&self) -> String {
        format!(
            "arn:{}:iam::{}:role/{}",
            self.partition, self.account, self.name
        )
    }
}

fn valid_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "+=,.@_-".contains(c)
}

impl fmt::Display for RoleArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:iam::{}:role{}{}",
            self.partition, self.account, self.path, self.name
        )
    }
}

/// `arn:aws:iam::1:oidc-provider/oidc.eks…/id/X` → `oidc.eks…/id/X`.
pub fn provider_arn_host(arn: &str) -> Option<&str> {
    arn.split_once(":oidc-provider/").map(|(_, h)| h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns() {
        let ok = [
            ("arn:aws:iam::111122223333:role/app", "/", "app"),
            (
                "arn:aws:iam::111122223333:role/teams/dev/app",
                "/teams/dev/",
                "app",
            ),
            (
                "arn:aws-cn:iam::111122223333:role/a+b=c,d.e@f_g-h",
                "/",
                "a+b=c,d.e@f_g-h",
            ),
            ("arn:aws-us-gov:iam::111122223333:role/x", "/", "x"),
        ];
        for (s, path, name) in ok {
            let r = RoleArn::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(r.path, path, "{s}");
            assert_eq!(r.name, name, "{s}");
            assert_eq!(r.to_string(), s);
        }
        let bad = [
            "arn:aws:I am::XXXXXXXXXXXX:role/S3TalosAppTestRole",
            "arn:aws:iam::XXXXXXXXXXXX:role/x",
            "arn:aws:iam::11112222333:role/x",
            "arn:aws:iam::111122223333:user/x",
            "arn:aws:iam::111122223333:role/",
            "arn:aws:iam:us-east-1:111122223333:role/x",
            "arn:aws:s3::111122223333:role/x",
            "arn:amazon:iam::111122223333:role/x",
            "role/x",
            "",
            "arn:aws:iam::111122223333:role/has space",
            "arn:aws:iam::111122223333:role/a//b",
        ];
        for s in bad {
            assert!(RoleArn::parse(s).is_err(), "{s} should be rejected");
        }
    }

    #[test]
    fn path_stripped() {
        let r = RoleArn::parse("arn:aws:iam::111122223333:role/teams/dev/app").unwrap();
        assert_eq!(r.without_path(), "arn:aws:iam::111122223333:role/app");
    }
}
