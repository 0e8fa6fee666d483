// The starter configuration `audit-evidence init` writes: every option, commented. A test checks
// that it validates against schemas/config.schema.json as written.
export const STARTER_CONFIG = `# audit-evidence configuration (YAML; JSON works too).
# Used by:  audit-evidence collect --week --config audit-evidence.yaml --key keys/evidence.key
# Schema:   schemas/config.schema.json in the audit-evidence package.
# Relative paths below are taken from the directory of this file.
version: 1

# Zone of the evidence period: --week is the last seven full days ending at today's midnight
# in this zone. IANA name (Europe/Berlin) or offset (+02:00). --timezone overrides it.
timezone: UTC

# Completeness profile the events are checked against:
#   soc2      user, action, timestamp, affected resource (default)
#   pci       also outcome and origin (PCI DSS 10.2.2)
#   iso27001  also system identity and network address
#   hipaa
profile: soc2

identities:
  # Shared or ambiguous accounts whose activity cannot be attributed to one person; they are
  # flagged in the completeness report. This list replaces the default
  # (postgres, root, admin, rdsadmin, cloudsqladmin, sa).
  shared: [postgres, root, admin, rdsadmin, cloudsqladmin, sa]

# The admin roster: principals and roles that count as administrators. Their events are marked
# privileged (administrator activity) in addition to what the logs themselves say (DDL,
# GRANT/REVOKE, IAM policy changes, superuser and root use are always privileged).
admins:
  # A file with one principal per line; '#' starts a comment.
  # file: admins.txt
  list:
    - dba_alice
    - { principal: ops_bob, reason: on-call DBA, instance: pg-prod }

bundle:
  # Where to write the bundle; --out overrides it. Default: evidence-<start>_<end>.zip.
  # out: evidence/latest.zip
  # Ed25519 private key (mode 0600) from 'audit-evidence keygen'; --key overrides it. Without a
  # key, an ephemeral key is used and the bundle's signer cannot be verified.
  # key: keys/evidence.key
  # How many administrator events of each category the HTML summary shows (default 10).
  sample_rows: 10
  # Also write events.ocsf.jsonl (OCSF 1.8.0, for a SIEM or security data lake) into the bundle.
  # ocsf: true

# The sources. Each needs a unique name (letters, digits, . _ -): it becomes source.instance on
# every event and the folder of its raw records (raw/<name>/) in the bundle.
sources:
  # Log files on disk: files, globs or directories (read recursively); .gz read transparently.
  - name: pg-prod
    type: file
    paths:
      - /var/log/postgresql/postgresql-*.log
    # auto (detect per file), pgaudit, cloudtrail, gcp-audit, mariadb-audit,
    # mysql-enterprise-audit, percona-audit, bytebase or cloudwatch-logs.
    format: pgaudit
    # PostgreSQL's log_line_prefix, for stderr logs (SHOW log_line_prefix; on the server).
    log_line_prefix: '%m [%p] %q%u@%d/%a '

  - name: mariadb-prod
    type: file
    paths: [/var/lib/mysql/server_audit.log*]
    format: mariadb-audit
    # Zone of logs that write local time without a zone (MariaDB server_audit, MySQL audit files).
    timezone: UTC

  - name: aws-prod
    type: file
    # CloudTrail files as delivered to S3 (synced locally), e.g. with: aws s3 sync s3://bucket/AWSLogs ./AWSLogs
    paths: [AWSLogs/]
    format: cloudtrail

  - name: gcp-prod
    type: file
    # Cloud Audit Logs exported as JSON, e.g.: gcloud logging read 'logName:"cloudaudit.googleapis.com"' --format=json > gcp-audit.json
    paths: [gcp-audit.json]
    format: gcp-audit

  # Live sources (read directly from the database or cloud API) use type postgres, mysql,
  # gcp-logging, cloudtrail, cloudtrail-s3, cloudwatch-logs or bytebase: every setting is in
  # docs/configuration.md, what each reads and the privileges it needs in docs/live-sources.md.
`;
