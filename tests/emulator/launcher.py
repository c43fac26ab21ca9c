"""Starts the pinned AWS emulator (moto server) with the fixes Rampart's tests rely on.

Run with the emulator's virtualenv:  python launcher.py --host 127.0.0.1 --port 5000

The emulator's own environment variables (MOTO_IAM_LOAD_MANAGED_POLICIES, any MOTO_*) apply as
they do to `moto_server`. Each fix below restores a documented AWS behaviour the pinned moto
release gets wrong; each is narrow (one service, one operation family) and is tested through
the AWS SDK for Rust in tests/tests/emulator_fixes.rs. Beyond what a fix names as not
modelled, nothing here makes the emulator accept what AWS refuses.

The fixes, in the order below:
- CloudWatch over Smithy RPC v2 CBOR (translated to and from moto's JSON protocol).
- IAM Access Analyzer: the analyzer lifecycle (moto has no such service).
- S3 GetBucketVersioning / PutBucketVersioning: the right document, MFA Delete with x-amz-mfa.
- EC2: an instance's security groups are its primary network interface's, replaced not joined.
- CloudFormation: Ref of an event bus is its name; inline role policies read back as JSON.
- Organizations: AWSOrganizationsNotInUseException without an organization; more services
  accept a delegated administrator.
- IAM centralized root access and the Organizations resource-based delegation policy.
- Security Hub BatchUpdateFindings (Note, Workflow and the other customer fields).
- EC2 ModifyInstanceMetadataOptions keeps the options a request does not name.
- EC2 Delete/ReplaceNetworkAclEntry of a missing entry: InvalidNetworkAclEntry.NotFound.
- IAM GetAccountPasswordPolicy leaves MaxPasswordAge out when passwords do not expire.
- KMS EnableKeyRotation / GetKeyRotationStatus: rotation period, supported keys only.
- CloudTrail CreateTrail: a new trail has the default event selector (all management events).
- SQS SetQueueAttributes keeps the queue policy when the request does not name Policy.
- Redshift CreateCluster keeps AutomatedSnapshotRetentionPeriod=0 (automated snapshots off).
- ElastiCache ModifyCacheCluster: AutoMinorVersionUpgrade and SnapshotRetentionLimit.
"""

import argparse
import io
import json
import os
import re
import signal
import sys
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from urllib.parse import parse_qs, unquote

import botocore.session
from botocore.parsers import JSONParser, RpcV2CBORParser
from botocore.serialize import JSONSerializer, RpcV2CBORSerializer
from werkzeug.serving import run_simple
from werkzeug.wsgi import get_input_stream

from moto.core.base_backend import BackendDict, BaseBackend
from moto.core.utils import get_service_model
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)

_BOTOCORE = botocore.session.get_session()


def _call(app, environ):
    """Runs a WSGI app; returns (status line, headers, body bytes)."""
    captured = {}

    def start_response(status, headers, exc_info=None):
        captured["status"] = status
        captured["headers"] = headers
        return lambda data: None

    chunks = app(environ, start_response)
    try:
        body = b"".join(chunks)
    finally:
        if hasattr(chunks, "close"):
            chunks.close()
    return captured["status"], captured["headers"], body


def _read_body(environ):
    return get_input_stream(environ).read()


def _with_body(environ, body):
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    environ["wsgi.input_terminated"] = False


def _credential_scope(environ):
    """(access key, region, service) of a SigV4-signed request, or Nones."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    match = re.search(r"Credential=([^/]+)/[^/]+/([^/]+)/([^/]+)/aws4_request", auth)
    if not match:
        return None, None, None
    return match.group(1), match.group(2), match.group(3)


def _account_of(environ, access_key):
    """The account moto would serve this request from (same order as moto's BaseResponse)."""
    if "MOTO_ACCOUNT_ID" in os.environ:
        return os.environ["MOTO_ACCOUNT_ID"]
    if environ.get("HTTP_X_MOTO_ACCOUNT_ID"):
        return environ["HTTP_X_MOTO_ACCOUNT_ID"]
    from moto.iam.models import get_account_id_from

    return get_account_id_from(access_key or "AKIAEXAMPLE")


# --- CloudWatch: Smithy RPC v2 CBOR ----------------------------------------------------------
#
# AWS serves CloudWatch over Smithy RPC v2 CBOR (the service model lists smithy-rpc-v2-cbor
# first, then awsJson1_0 and awsQuery; https://smithy.io/2.0/additional-specs/protocols/
# smithy-rpc-v2.html), and current AWS SDKs speak it. moto serves the JSON and query protocols
# only. The translation is shape-driven with botocore's own CBOR and JSON codecs: a CBOR request
# on /service/<service>/operation/<operation> becomes the equivalent awsJson1_0 request, and
# moto's JSON answer becomes the CBOR answer (timestamps as tag 1, errors as a `__type` map with
# the query-compatible error header kept). moto's handling of the operation is unchanged.

_RPCV2_SERVICES = {"GraniteServiceVersion20100801": "cloudwatch"}
_RPCV2_PATH = re.compile(r"^/service/([^/]+)/operation/([^/]+)$")


_MODELS = {}


def _service_model(service):
    if service not in _MODELS:
        _MODELS[service] = _BOTOCORE.get_service_model(service)
    return _MODELS[service]


def _conform(shape, value):
    """`value` restricted to `shape`'s members with numbers of the shape's kind."""
    if value is None or shape is None:
        return value
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return None
        return {
            k: _conform(shape.members[k], v)
            for k, v in value.items()
            if k in shape.members and v is not None
        }
    if kind == "list":
        return [_conform(shape.member, v) for v in value or []]
    if kind == "map":
        return {k: _conform(shape.value, v) for k, v in (value or {}).items()}
    if kind in ("integer", "long", "short", "byte"):
        return int(value)
    if kind in ("double", "float"):
        return float(value)
    return value


def _cbor_error(code, message):
    """A CBOR error envelope: {"__type": code, "message": message}."""
    ser = RpcV2CBORSerializer()
    out = bytearray(b"\xa2")
    for text in ("__type", code, "message", message):
        ser._serialize_type_string(out, text, None, None)
    return bytes(out)


class RpcV2CborTranslator:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        match = _RPCV2_PATH.match(environ.get("PATH_INFO", ""))
        service = _RPCV2_SERVICES.get(match.group(1)) if match else None
        if service is None or environ.get("HTTP_SMITHY_PROTOCOL") != "rpc-v2-cbor":
            return self.app(environ, start_response)
        model = _service_model(service)
        try:
            operation = model.operation_model(match.group(2))
        except Exception:
            body = _cbor_error("UnknownOperationException", f"unknown operation {match.group(2)}")
            return self._respond(start_response, "404 Not Found", [], body)

        raw = _read_body(environ)
        try:
            params = RpcV2CBORParser()._initial_body_parse(raw) if raw else {}
            params = _conform(operation.input_shape, params or {}) or {}
            request = JSONSerializer().serialize_to_request(params, operation)
        except Exception as e:  # a body the model cannot read is the client's fault
            body = _cbor_error("SerializationException", f"cannot read the CBOR request: {e}")
            return self._respond(start_response, "400 Bad Request", [], body)

        environ["PATH_INFO"] = "/"
        environ["REQUEST_METHOD"] = "POST"
        environ.pop("HTTP_SMITHY_PROTOCOL", None)
        environ.pop("HTTP_ACCEPT", None)
        environ["CONTENT_TYPE"] = request["headers"]["Content-Type"]
        environ["HTTP_X_AMZ_TARGET"] = request["headers"]["X-Amz-Target"]
        if "x-amzn-query-mode" in request["headers"]:
            environ["HTTP_X_AMZN_QUERY_MODE"] = request["headers"]["x-amzn-query-mode"]
        _with_body(environ, request["body"])

        status, headers, body = _call(self.app, environ)
        code = int(status.split(" ", 1)[0])
        kept = [
            (k, v)
            for k, v in headers
            if k.lower() in ("x-amzn-requestid", "x-amzn-query-error", "date")
        ]
        if code >= 300:
            try:
                err = json.loads(body or b"{}")
            except ValueError:
                err = {}
            err_type = err.get("__type") or err.get("code") or str(code)
            message = err.get("message") or err.get("Message") or ""
            return self._respond(start_response, status, kept, _cbor_error(err_type, message))
        out = b""
        if operation.output_shape is not None:
            parsed = JSONParser().parse(
                {"body": body or b"{}", "headers": dict(headers), "status_code": code},
                operation.output_shape,
            )
            parsed.pop("ResponseMetadata", None)
            buf = bytearray()
            RpcV2CBORSerializer()._serialize_data_item(
                buf, _conform(operation.output_shape, parsed), operation.output_shape
            )
            out = bytes(buf)
        return self._respond(start_response, status, kept, out)

    @staticmethod
    def _respond(start_response, status, headers, body):
        headers = list(headers) + [
            ("smithy-protocol", "rpc-v2-cbor"),
            ("Content-Type", "application/cbor"),
            ("Content-Length", str(len(body))),
        ]
        start_response(status, headers)
        return [body]


# --- IAM Access Analyzer --------------------------------------------------------------------
#
# moto 5.2.5 has no Access Analyzer service: every call answers HTTP 500 (which SDKs retry with
# backoff). This serves the analyzer lifecycle as the API reference describes it
# (https://docs.aws.amazon.com/access-analyzer/latest/APIReference/): CreateAnalyzer (PUT
# /analyzer), ListAnalyzers (GET /analyzer, optional type filter, paginated), GetAnalyzer and
# DeleteAnalyzer (/analyzer/{name}); analyzers are regional, per account, ACTIVE once created.
# As on AWS, an account that is neither the organization's management account nor a delegated
# administrator for access-analyzer.amazonaws.com has at most one analyzer of each kind with its
# account as the zone of trust and none with its organization. State lives in a moto backend, so
# POST /moto-api/reset clears it. Other Access Analyzer operations answer 501.

_ANALYZER_TYPES = {
    "ACCOUNT",
    "ORGANIZATION",
    "ACCOUNT_UNUSED_ACCESS",
    "ORGANIZATION_UNUSED_ACCESS",
    "ACCOUNT_INTERNAL_ACCESS",
    "ORGANIZATION_INTERNAL_ACCESS",
}
_ANALYZER_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,254}$")


class AccessAnalyzerBackend(BaseBackend):
    def __init__(self, region_name, account_id):
        super().__init__(region_name, account_id)
        self.analyzers = {}


access_analyzer_backends = BackendDict(AccessAnalyzerBackend, "accessanalyzer")


class _AnalyzerError(Exception):
    def __init__(self, status, code, message, **extra):
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


def _organization_admin(account_id):
    """Whether the account is its organization's management account or Access Analyzer's
    delegated administrator."""
    from moto.organizations.models import organizations_backends

    if organizations_backends[account_id]["aws"].org is not None:
        return True
    master = organizations_backends.master_accounts.get(account_id)
    if not master:
        return False
    admins = organizations_backends[master[0]]["aws"].admins
    return any(
        a.account.id == account_id
        and any(s.get("ServicePrincipal") == "access-analyzer.amazonaws.com" for s in a.services)
        for a in admins
    )


def _iso(ts):
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


class AccessAnalyzer:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        access_key, region, service = _credential_scope(environ)
        if service != "access-analyzer":
            return self.app(environ, start_response)
        account = _account_of(environ, access_key)
        backend = access_analyzer_backends[account][region]
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "")
        query = parse_qs(environ.get("QUERY_STRING", ""))
        try:
            if path == "/analyzer" and method == "PUT":
                body = json.loads(_read_body(environ) or b"{}")
                result = self.create(backend, account, region, body)
            elif path == "/analyzer" and method == "GET":
                result = self.list(backend, query)
            elif path.startswith("/analyzer/") and method in ("GET", "DELETE"):
                name = unquote(path[len("/analyzer/") :])
                analyzer = backend.analyzers.get(name)
                if analyzer is None:
                    raise _AnalyzerError(
                        404,
                        "ResourceNotFoundException",
                        f"Analyzer {name} not found",
                        resourceId=name,
                        resourceType="Analyzer",
                    )
                if method == "GET":
                    result = {"analyzer": self.summary(analyzer)}
                else:
                    del backend.analyzers[name]
                    result = None
            else:
                raise _AnalyzerError(
                    501,
                    "NotImplementedException",
                    f"{method} {path} is not served by the emulator",
                )
        except _AnalyzerError as e:
            body = json.dumps({"message": e.message, **e.extra}).encode()
            start_response(
                f"{e.status} {e.code}",
                [
                    ("Content-Type", "application/json"),
                    ("x-amzn-errortype", e.code),
                    ("x-amzn-requestid", str(uuid.uuid4())),
                    ("Content-Length", str(len(body))),
                ],
            )
            return [body]
        except ValueError as e:
            body = json.dumps({"message": str(e), "reason": "cannotParse"}).encode()
            start_response(
                "400 ValidationException",
                [
                    ("Content-Type", "application/json"),
                    ("x-amzn-errortype", "ValidationException"),
                    ("Content-Length", str(len(body))),
                ],
            )
            return [body]
        body = json.dumps(result).encode() if result is not None else b""
        start_response(
            "200 OK",
            [
                ("Content-Type", "application/json"),
                ("x-amzn-requestid", str(uuid.uuid4())),
                ("Content-Length", str(len(body))),
            ],
        )
        return [body]

    @staticmethod
    def summary(analyzer):
        out = {k: v for k, v in analyzer.items() if k != "configuration"}
        out["createdAt"] = _iso(analyzer["createdAt"])
        return out

    def create(self, backend, account, region, body):
        name = body.get("analyzerName")
        kind = body.get("type")
        if not isinstance(name, str) or not _ANALYZER_NAME.match(name):
            raise _AnalyzerError(
                400,
                "ValidationException",
                "analyzerName is missing or invalid",
                reason="fieldValidationFailed",
            )
        if kind not in _ANALYZER_TYPES:
            raise _AnalyzerError(
                400, "ValidationException", "type is missing or invalid", reason="fieldValidationFailed"
            )
        if name in backend.analyzers:
            raise _AnalyzerError(
                409,
                "ConflictException",
                f"Analyzer {name} already exists",
                resourceId=name,
                resourceType="Analyzer",
            )
        admin = _organization_admin(account)
        if kind.startswith("ORGANIZATION") and not admin:
            raise _AnalyzerError(
                400,
                "ValidationException",
                "An analyzer with the organization as its zone of trust can be created only by the "
                "organization's management account or a delegated administrator",
                reason="notSupported",
            )
        if not admin and any(a["type"] == kind for a in backend.analyzers.values()):
            raise _AnalyzerError(
                402,
                "ServiceQuotaExceededException",
                f"An analyzer of type {kind} already exists in this account and Region",
                resourceId=name,
                resourceType="Analyzer",
            )
        arn = f"arn:{backend.partition}:access-analyzer:{region}:{account}:analyzer/{name}"
        analyzer = {
            "arn": arn,
            "name": name,
            "type": kind,
            "createdAt": datetime.now(timezone.utc),
            "status": "ACTIVE",
            "tags": body.get("tags") or {},
        }
        if body.get("configuration"):
            analyzer["configuration"] = body["configuration"]
        backend.analyzers[name] = analyzer
        return {"arn": arn}

    def list(self, backend, query):
        kind = query.get("type", [None])[0]
        if kind is not None and kind not in _ANALYZER_TYPES:
            raise _AnalyzerError(
                400, "ValidationException", "type is invalid", reason="fieldValidationFailed"
            )
        analyzers = [
            self.summary(a)
            for a in sorted(backend.analyzers.values(), key=lambda a: a["name"])
            if kind is None or a["type"] == kind
        ]
        start = int(query.get("nextToken", ["0"])[0])
        size = int(query.get("maxResults", ["100"])[0])
        if size < 1:
            raise _AnalyzerError(
                400, "ValidationException", "maxResults is invalid", reason="fieldValidationFailed"
            )
        page = analyzers[start : start + size]
        out = {"analyzers": page}
        if start + size < len(analyzers):
            out["nextToken"] = str(start + size)
        return out


# --- S3 bucket versioning -------------------------------------------------------------------
#
# GetBucketVersioning answers with a <VersioningConfiguration> document holding Status and, once
# the bucket was ever configured with MFA delete, MfaDelete
# (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketVersioning.html); moto names the
# root element GetBucketVersioningResponse, which SDKs reject, and never reports MfaDelete.
# PutBucketVersioning sets MfaDelete only with the x-amz-mfa header ("<device serial> <code>"),
# which is also required for any change once MFA delete is enabled
# (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketVersioning.html,
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/MultiFactorAuthenticationDelete.html);
# without it the request is denied. moto ignores MfaDelete. Not modelled: that only the root
# user may do this (the emulator has no root credentials for member accounts) and the code's
# validity (moto does not validate MFA codes anywhere).

_S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"
_MFA_HEADER = re.compile(r"^\S+ \d{6}$")


def _s3_error(status, code, message):
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>"
        f"<RequestId>{uuid.uuid4().hex}</RequestId></Error>"
    )
    return status, {"Content-Type": "application/xml"}, body


def patch_s3_versioning():
    from moto.s3.responses import S3Response

    put_bucket = S3Response._bucket_response_put

    def get_bucket_versioning(self):
        bucket = self.backend.get_bucket(self.bucket_name)
        self.data["Action"] = "GetBucketVersioning"
        inner = ""
        if bucket.versioning_status:
            inner += f"<Status>{bucket.versioning_status}</Status>"
        mfa_delete = getattr(bucket, "rampart_mfa_delete", None)
        if mfa_delete:
            inner += f"<MfaDelete>{mfa_delete}</MfaDelete>"
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<VersioningConfiguration xmlns="{_S3_NS}">{inner}</VersioningConfiguration>'
        )
        return 200, {"Content-Type": "application/xml"}, body

    def bucket_response_put(self, request, bucket_name, querystring):
        if "versioning" not in querystring:
            return put_bucket(self, request, bucket_name, querystring)
        if not request.headers.get("Content-Length"):
            return 411, {}, "Content-Length required"
        self._set_action("BUCKET", "PUT", querystring)
        self._authenticate_and_authorize_s3_action(bucket_name=bucket_name)
        bucket = self.backend.get_bucket(bucket_name)
        try:
            root = ET.fromstring(self.body)
        except ET.ParseError:
            root = None
        fields = {}
        if root is not None and root.tag.rsplit("}", 1)[-1] == "VersioningConfiguration":
            fields = {child.tag.rsplit("}", 1)[-1]: (child.text or "") for child in root}
        status = fields.get("Status")
        mfa_delete = fields.get("MfaDelete")
        if (
            root is None
            or status not in (None, "Enabled", "Suspended")
            or mfa_delete not in (None, "Enabled", "Disabled")
            or (status is None and mfa_delete is None)
        ):
            return _s3_error(
                400,
                "MalformedXML",
                "The XML you provided was not well-formed or did not validate against our "
                "published schema",
            )
        needs_mfa = mfa_delete is not None or getattr(bucket, "rampart_mfa_delete", None) == "Enabled"
        if needs_mfa and not _MFA_HEADER.match(request.headers.get("x-amz-mfa", "")):
            return _s3_error(403, "AccessDenied", "Mfa Authentication must be used for this request")
        if status is not None:
            self.backend.put_bucket_versioning(bucket_name, status)
        if mfa_delete is not None:
            bucket.rampart_mfa_delete = mfa_delete
        self.data["Action"] = "PutBucketVersioning"
        return 200, {}, ""

    S3Response.get_bucket_versioning = get_bucket_versioning
    S3Response._bucket_response_put = bucket_response_put


# --- EC2 network interface security groups --------------------------------------------------
#
# An instance's security groups are those of its primary network interface, and
# ModifyNetworkInterfaceAttribute (Groups) / ModifyInstanceAttribute (Groups) replace the
# interface's set (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/
# API_ModifyNetworkInterfaceAttribute.html, API_ModifyInstanceAttribute.html). moto reports
# every attached interface's groups as the union of its own and the instance's launch groups,
# so a replacement never shows. Here the interface's own set is what is reported, and the
# instance's groups read and write its primary interface's set.


def patch_eni_groups():
    from moto.ec2.models.elastic_network_interfaces import NetworkInterface
    from moto.ec2.models.instances import Instance

    NetworkInterface.group_set = property(lambda self: self._group_set)

    def primary(instance):
        nics = instance.__dict__.get("nics") or {}
        return nics.get(0)

    def get_groups(self):
        nic = primary(self)
        if nic is not None:
            return list(nic._group_set)
        return self.__dict__.get("_launch_security_groups", [])

    def set_groups(self, groups):
        nic = primary(self)
        if nic is not None:
            nic._group_set = list(groups)
        else:
            self.__dict__["_launch_security_groups"] = list(groups or [])

    Instance.security_groups = property(get_groups, set_groups)


# --- CloudFormation: Ref of an event bus ----------------------------------------------------
#
# `Ref` of an AWS::Events::EventBus returns the bus name
# (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-events-eventbus.html,
# Return values). moto's EventBus has no physical resource id, so `!Ref Bus` resolved to the
# Python object and a rule or bus policy naming its bus that way failed the whole stack
# ("'EventBus' object has no attribute 'split'").


def patch_event_bus_ref():
    from moto.events.models import EventBus

    EventBus.physical_resource_id = property(lambda self: self.name)


# --- CloudFormation: inline role policies ---------------------------------------------------
#
# GetRolePolicy returns the policy document as URL-encoded JSON
# (https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetRolePolicy.html). A role created
# by moto's CloudFormation kept each inline policy as a Python dict, so GetRolePolicy answered
# with its repr ({'Version': ...}), which is not JSON. Documents are stored as JSON text here.


def patch_cfn_inline_role_policies():
    from moto.iam.models import Role

    original = Role.put_policy

    def put_policy(self, policy_name, policy_json):
        if not isinstance(policy_json, str):
            policy_json = json.dumps(policy_json)
        return original(self, policy_name, policy_json)

    Role.put_policy = put_policy


# --- Organizations -------------------------------------------------------------------------
#
# Two gaps against the Organizations API reference:
# - An account that belongs to no organization gets AWSOrganizationsNotInUseException from
#   ListAccounts, ListDelegatedAdministrators and ListDelegatedServicesForAccount
#   (https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccounts.html, Errors);
#   moto answers with empty lists, so "the organization cannot be asked" looked like "nobody is a
#   member".
# - Security Hub, CloudTrail, Inspector, Detective and CloudFormation StackSets support a
#   delegated administrator (https://docs.aws.amazon.com/organizations/latest/userguide/
#   orgs_integrate_services_list.html); moto refuses to register one for them.

_MORE_DELEGATED_SERVICES = (
    "securityhub.amazonaws.com",
    "cloudtrail.amazonaws.com",
    "inspector2.amazonaws.com",
    "detective.amazonaws.com",
    "member.org.stacksets.cloudformation.amazonaws.com",
)


def patch_organizations():
    from moto.organizations.exceptions import AWSOrganizationsNotInUseException
    from moto.organizations.models import (
        FakeDelegatedAdministrator,
        OrganizationsBackend,
        organizations_backends,
    )

    for service in _MORE_DELEGATED_SERVICES:
        if service not in FakeDelegatedAdministrator.SUPPORTED_SERVICES:
            FakeDelegatedAdministrator.SUPPORTED_SERVICES.append(service)

    def in_use(backend):
        return backend.org is not None or backend.account_id in organizations_backends.master_accounts

    def requiring_organization(method):
        def wrapped(self, *args, **kwargs):
            if not in_use(self):
                raise AWSOrganizationsNotInUseException
            return method(self, *args, **kwargs)

        wrapped.__name__ = method.__name__
        wrapped.__doc__ = method.__doc__
        return wrapped

    for name in (
        "list_accounts",
        "list_delegated_administrators",
        "list_delegated_services_for_account",
    ):
        setattr(OrganizationsBackend, name, requiring_organization(getattr(OrganizationsBackend, name)))


# --- Organization-level features ------------------------------------------------------------
#
# Two APIs the organization-level CIS requirements read are missing from moto 5.2.5 (every call
# answers HTTP 500, which SDKs retry with backoff):
# - IAM centralized root access (https://docs.aws.amazon.com/IAM/latest/APIReference/
#   API_ListOrganizationsFeatures.html): ListOrganizationsFeatures answers the organization id
#   and the enabled features (RootCredentialsManagement, RootSessions);
#   EnableOrganizationsRootCredentialsManagement / EnableOrganizationsRootSessions (and the
#   Disable pair) switch them. Only the management account may call them (others get
#   AccountNotManagementOrDelegatedAdministratorException); trusted access for IAM is not
#   modelled (AWS requires it first).
# - The Organizations resource-based delegation policy (https://docs.aws.amazon.com/
#   organizations/latest/APIReference/API_DescribeResourcePolicy.html): PutResourcePolicy,
#   DescribeResourcePolicy (ResourcePolicyNotFoundException when there is none) and
#   DeleteResourcePolicy, one policy per organization, management account only.
# State lives on moto's Organizations backend of the management account, so reset clears it.


def patch_org_features():
    from moto.core.exceptions import JsonRESTError
    from moto.iam.exceptions import IAMException
    from moto.iam.responses import IamResponse
    from moto.organizations.models import organizations_backends
    from moto.organizations.responses import OrganizationsResponse
    from moto.core.responses import ActionResult

    def org_of(account_id, partition):
        backend = organizations_backends[account_id][partition]
        org = backend.org
        if org is None or org.master_account_id != account_id:
            return None, backend
        return org, backend

    def iam_org(self):
        org, backend = org_of(self.current_account, self.partition)
        if org is None:
            raise IAMException(
                "AccountNotManagementOrDelegatedAdministratorException",
                "The request was rejected because the account making the request is not the management account or delegated administrator account for centralized root access.",
            )
        return org, backend

    def features(backend):
        return backend.__dict__.setdefault("_rampart_root_features", [])

    def list_organizations_features(self):
        org, backend = iam_org(self)
        return ActionResult({"OrganizationId": org.id, "EnabledFeatures": list(features(backend))})

    def switch(name, on):
        def handler(self):
            org, backend = iam_org(self)
            current = features(backend)
            if on and name not in current:
                current.append(name)
            if not on and name in current:
                current.remove(name)
            return ActionResult({"OrganizationId": org.id, "EnabledFeatures": list(current)})

        return handler

    IamResponse.list_organizations_features = list_organizations_features
    IamResponse.enable_organizations_root_credentials_management = switch("RootCredentialsManagement", True)
    IamResponse.enable_organizations_root_sessions = switch("RootSessions", True)
    IamResponse.disable_organizations_root_credentials_management = switch("RootCredentialsManagement", False)
    IamResponse.disable_organizations_root_sessions = switch("RootSessions", False)

    def org_for_policy(self):
        org, backend = org_of(self.current_account, self.partition)
        if org is None:
            raise JsonRESTError(
                "AccessDeniedException",
                "You don't have permissions to access this resource.",
            )
        return org, backend

    def describe_resource_policy(self):
        org, backend = org_for_policy(self)
        policy = backend.__dict__.get("_rampart_resource_policy")
        if policy is None:
            raise JsonRESTError(
                "ResourcePolicyNotFoundException",
                "We can't find a resource policy request with the parameter that you specified.",
            )
        return json.dumps({"ResourcePolicy": policy})

    def put_resource_policy(self):
        org, backend = org_for_policy(self)
        content = self._get_param("Content")
        policy = {
            "ResourcePolicySummary": {
                "Id": "rp-" + org.id[2:10],
                "Arn": f"arn:{self.partition}:organizations::{org.master_account_id}:resourcepolicy/{org.id}/rp-{org.id[2:10]}",
            },
            "Content": content,
        }
        backend.__dict__["_rampart_resource_policy"] = policy
        return json.dumps({"ResourcePolicy": {"ResourcePolicySummary": policy["ResourcePolicySummary"]}})

    def delete_resource_policy(self):
        org, backend = org_for_policy(self)
        if backend.__dict__.pop("_rampart_resource_policy", None) is None:
            raise JsonRESTError(
                "ResourcePolicyNotFoundException",
                "We can't find a resource policy request with the parameter that you specified.",
            )
        return "{}"

    OrganizationsResponse.describe_resource_policy = describe_resource_policy
    OrganizationsResponse.put_resource_policy = put_resource_policy
    OrganizationsResponse.delete_resource_policy = delete_resource_policy


# --- Security Hub: BatchUpdateFindings ------------------------------------------------------
#
# moto 5.2.5 has no BatchUpdateFindings (PATCH /findings/batchupdate answers 404). This serves
# it as the API reference describes (https://docs.aws.amazon.com/securityhub/1.0/APIReference/
# API_BatchUpdateFindings.html) on the findings moto keeps for the calling account and region:
# up to 100 FindingIdentifiers (Id and ProductArn both match), each answered under
# ProcessedFindings or, when no such finding exists, under UnprocessedFindings with ErrorCode
# FindingNotFound. Note becomes {Text, UpdatedBy, UpdatedAt: now} (Text and UpdatedBy at most
# 512 characters); Workflow.Status is NEW, NOTIFIED, RESOLVED or SUPPRESSED and the deprecated
# WorkflowState follows it (NEW, ASSIGNED, RESOLVED, DEFERRED); Severity (Label or Normalized,
# the other derived as the ASFF Severity object documents), VerificationState, Confidence and
# Criticality (0-100), Types, UserDefinedFields and RelatedFindings take the given values (the
# Severity fields given replace those of the finding's Severity). The finding's UpdatedAt is
# left as it was. An account without Security Hub gets InvalidAccessException; a malformed
# request gets InvalidInputException and changes nothing.
# Not modelled: an administrator updating its members' findings (moto keeps no aggregated
# view), the EventBridge event, and GetFindings filters (moto ignores them).

_WORKFLOW_STATE = {
    "NEW": "NEW",
    "NOTIFIED": "ASSIGNED",
    "RESOLVED": "RESOLVED",
    "SUPPRESSED": "DEFERRED",
}
_SEVERITY_NORMALIZED = {"INFORMATIONAL": 0, "LOW": 1, "MEDIUM": 40, "HIGH": 70, "CRITICAL": 90}
_VERIFICATION_STATES = ("UNKNOWN", "TRUE_POSITIVE", "FALSE_POSITIVE", "BENIGN_POSITIVE")


def _severity_label(normalized):
    if normalized == 0:
        return "INFORMATIONAL"
    if normalized < 40:
        return "LOW"
    if normalized < 70:
        return "MEDIUM"
    if normalized < 90:
        return "HIGH"
    return "CRITICAL"


def _finding_updates(body, invalid):
    """The finding fields a BatchUpdateFindings body sets, validated (without UpdatedAt)."""

    def ratio(name):
        value = body[name]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
            raise invalid(f"{name} must be an integer from 0 to 100")
        return value

    def identifiers(name):
        value = body[name]
        if not isinstance(value, list) or not all(
            isinstance(i, dict)
            and isinstance(i.get("Id"), str)
            and isinstance(i.get("ProductArn"), str)
            for i in value
        ):
            raise invalid(f"{name} must be a list of {{Id, ProductArn}}")
        return [{"Id": i["Id"], "ProductArn": i["ProductArn"]} for i in value]

    updates = {}
    if body.get("Note") is not None:
        note = body["Note"]
        if not isinstance(note, dict):
            raise invalid("Note must be an object with Text and UpdatedBy")
        for key in ("Text", "UpdatedBy"):
            value = note.get(key)
            if not isinstance(value, str) or not value:
                raise invalid(f"Note.{key} is required")
            if len(value) > 512:
                raise invalid(f"Note.{key} must be at most 512 characters long")
        updates["Note"] = {"Text": note["Text"], "UpdatedBy": note["UpdatedBy"]}
    if body.get("Workflow") is not None:
        status = body["Workflow"].get("Status") if isinstance(body["Workflow"], dict) else None
        if status is not None and status not in _WORKFLOW_STATE:
            raise invalid("Workflow.Status must be one of NEW, NOTIFIED, RESOLVED, SUPPRESSED")
        if status is not None:
            updates["Workflow"] = {"Status": status}
            updates["WorkflowState"] = _WORKFLOW_STATE[status]
    if body.get("Severity") is not None:
        severity = body["Severity"]
        if not isinstance(severity, dict):
            raise invalid("Severity must be an object")
        label, normalized = severity.get("Label"), severity.get("Normalized")
        if label is not None and label not in _SEVERITY_NORMALIZED:
            raise invalid("Severity.Label must be one of " + ", ".join(_SEVERITY_NORMALIZED))
        if normalized is not None and (
            isinstance(normalized, bool) or not isinstance(normalized, int) or not 0 <= normalized <= 100
        ):
            raise invalid("Severity.Normalized must be an integer from 0 to 100")
        update = {}
        if label is not None:
            update["Label"] = label
            update["Normalized"] = normalized if normalized is not None else _SEVERITY_NORMALIZED[label]
        elif normalized is not None:
            update["Normalized"] = normalized
            update["Label"] = _severity_label(normalized)
        if severity.get("Product") is not None:
            update["Product"] = severity["Product"]
        updates["Severity"] = update
    if body.get("VerificationState") is not None:
        if body["VerificationState"] not in _VERIFICATION_STATES:
            raise invalid("VerificationState must be one of " + ", ".join(_VERIFICATION_STATES))
        updates["VerificationState"] = body["VerificationState"]
    for name in ("Confidence", "Criticality"):
        if body.get(name) is not None:
            updates[name] = ratio(name)
    if body.get("Types") is not None:
        if not isinstance(body["Types"], list) or not all(isinstance(t, str) for t in body["Types"]):
            raise invalid("Types must be a list of strings")
        updates["Types"] = list(body["Types"])
    if body.get("UserDefinedFields") is not None:
        fields = body["UserDefinedFields"]
        if not isinstance(fields, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in fields.items()
        ):
            raise invalid("UserDefinedFields must map strings to strings")
        updates["UserDefinedFields"] = dict(fields)
    if body.get("RelatedFindings") is not None:
        updates["RelatedFindings"] = identifiers("RelatedFindings")
    return updates


def patch_securityhub_batch_update_findings():
    from moto.securityhub import urls
    from moto.securityhub.exceptions import SecurityHubClientError
    from moto.securityhub.responses import SecurityHubResponse

    urls.url_paths.setdefault("{0}/findings/batchupdate$", SecurityHubResponse.dispatch)

    def invalid(message):
        return SecurityHubClientError("InvalidInputException", message)

    def batch_update_findings(self):
        backend = self.securityhub_backend
        if not backend.enabled:
            raise SecurityHubClientError(
                "InvalidAccessException",
                f"Account {self.current_account} is not subscribed to AWS Security Hub",
            )
        raw = self.body.decode("utf-8") if isinstance(self.body, bytes) else self.body
        try:
            body = json.loads(raw or "{}")
        except ValueError:
            raise invalid("The request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise invalid("The request body must be a JSON object")
        wanted = body.get("FindingIdentifiers")
        if not isinstance(wanted, list) or not wanted:
            raise invalid("FindingIdentifiers is required")
        if len(wanted) > 100:
            raise invalid("FindingIdentifiers can name at most 100 findings")
        if not all(
            isinstance(i, dict) and isinstance(i.get("Id"), str) and isinstance(i.get("ProductArn"), str)
            for i in wanted
        ):
            raise invalid("Each FindingIdentifier needs an Id and a ProductArn")
        updates = _finding_updates(body, invalid)
        if "Note" in updates:
            updates["Note"]["UpdatedAt"] = _iso(datetime.now(timezone.utc))
        processed, unprocessed = [], []
        for ident in wanted:
            ident = {"Id": ident["Id"], "ProductArn": ident["ProductArn"]}
            finding = next(
                (
                    f
                    for f in backend.findings
                    if f.id == ident["Id"] and f.data.get("ProductArn") == ident["ProductArn"]
                ),
                None,
            )
            if finding is None:
                unprocessed.append(
                    {
                        "FindingIdentifier": ident,
                        "ErrorCode": "FindingNotFound",
                        "ErrorMessage": "Finding Not Found",
                    }
                )
                continue
            for key, value in updates.items():
                value = json.loads(json.dumps(value))
                if key == "Severity" and isinstance(finding.data.get(key), dict):
                    value = {**finding.data[key], **value}
                finding.data[key] = value
            processed.append(ident)
        return json.dumps({"ProcessedFindings": processed, "UnprocessedFindings": unprocessed})

    SecurityHubResponse.batch_update_findings = batch_update_findings


# --- EC2 instance metadata options ----------------------------------------------------------
#
# ModifyInstanceMetadataOptions changes only the options a request names; for every other one
# "the existing state is maintained" (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/
# API_ModifyInstanceMetadataOptions.html). moto rebuilt the options from the request alone, so
# requiring IMDSv2 (HttpTokens only) dropped HttpEndpoint, HttpProtocolIpv6 and
# InstanceMetadataTags from DescribeInstances and reset the hop limit to 1.


def patch_instance_metadata_options():
    from moto.ec2.models.instances import InstanceBackend, MetadataOptions

    def modify_instance_metadata_options(
        self,
        instance_id,
        http_tokens=None,
        hop_limit=None,
        http_endpoint=None,
        dry_run=False,
        http_protocol=None,
        metadata_tags=None,
    ):
        instance = self.get_instance(instance_id)
        current = instance.metadata_options

        def keep(new, old):
            return old if new is None else new

        options = MetadataOptions(
            {
                "State": "applied",
                "HttpTokens": keep(http_tokens, current.http_tokens),
                "HttpPutResponseHopLimit": keep(hop_limit, current.http_put_response_hop_limit),
                "HttpEndpoint": keep(http_endpoint, current.http_endpoint),
                "HttpProtocolIpv6": keep(http_protocol, current.http_protocol_ipv6),
                "InstanceMetadataTags": keep(metadata_tags, current.instance_metadata_tags),
            }
        )
        instance.metadata_options = options
        return options

    InstanceBackend.modify_instance_metadata_options = modify_instance_metadata_options


# --- EC2 network ACL entries ----------------------------------------------------------------
#
# DeleteNetworkAclEntry and ReplaceNetworkAclEntry of a rule number the ACL does not have (in
# that direction) fail with InvalidNetworkAclEntry.NotFound (https://docs.aws.amazon.com/
# AWSEC2/latest/APIReference/errors-overview.html); moto answered HTTP 500, which SDKs retry
# with backoff. A replaced entry also keeps its place in the ACL's entry list instead of moving
# to the end.


def patch_network_acl_entries():
    from moto.ec2.exceptions import EC2ClientError
    from moto.ec2.models.network_acls import NetworkAclBackend

    create = NetworkAclBackend.create_network_acl_entry

    def position(acl, rule_number, egress):
        for index, entry in enumerate(acl.network_acl_entries):
            if entry.egress == egress and entry.rule_number == rule_number:
                return index
        direction = "egress" if str(egress).lower() in ("true", "1") else "ingress"
        raise EC2ClientError(
            "InvalidNetworkAclEntry.NotFound",
            f"The network ACL {acl.id} has no {direction} entry with rule number {rule_number}",
        )

    def delete_network_acl_entry(self, network_acl_id, rule_number, egress):
        acl = self.get_network_acl(network_acl_id)
        return acl.network_acl_entries.pop(position(acl, rule_number, egress))

    def replace_network_acl_entry(
        self,
        network_acl_id,
        rule_number,
        protocol,
        rule_action,
        egress,
        cidr_block,
        icmp_code,
        icmp_type,
        port_range_from,
        port_range_to,
        ipv6_cidr_block,
    ):
        acl = self.get_network_acl(network_acl_id)
        index = position(acl, rule_number, egress)
        old = acl.network_acl_entries.pop(index)
        try:
            new = create(
                self,
                network_acl_id=network_acl_id,
                rule_number=rule_number,
                protocol=protocol,
                rule_action=rule_action,
                egress=egress,
                cidr_block=cidr_block,
                icmp_code=icmp_code,
                icmp_type=icmp_type,
                port_range_from=port_range_from,
                port_range_to=port_range_to,
                ipv6_cidr_block=ipv6_cidr_block,
            )
        except Exception:
            acl.network_acl_entries.insert(index, old)
            raise
        acl.network_acl_entries.remove(new)
        acl.network_acl_entries.insert(index, new)
        return new

    NetworkAclBackend.delete_network_acl_entry = delete_network_acl_entry
    NetworkAclBackend.replace_network_acl_entry = replace_network_acl_entry


# --- IAM account password policy ------------------------------------------------------------
#
# GetAccountPasswordPolicy's MaxPasswordAge is a number of days from 1 to 1095, present only when
# passwords expire (https://docs.aws.amazon.com/IAM/latest/APIReference/API_PasswordPolicy.html).
# moto answered MaxPasswordAge 0 for a policy set without one; it is now left out.


def patch_password_policy_max_age():
    from moto.iam.models import AccountPasswordPolicy

    def get(self):
        return self.__dict__.get("_max_password_age") or None

    def put(self, value):
        self.__dict__["_max_password_age"] = value

    AccountPasswordPolicy.max_password_age = property(get, put)


# --- CloudTrail default event selector ---------------------------------------------------------
#
# A trail created without event selectors logs all read and write management events: its
# GetEventSelectors answers one selector {ReadWriteType: All, IncludeManagementEvents: true}
# (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-management-events-with-cloudtrail.html).
# moto answered none, so a fresh trail looked as if it recorded nothing.


def patch_cloudtrail_default_selectors():
    from moto.cloudtrail.models import Trail

    original = Trail.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.event_selectors = [
            {
                "ReadWriteType": "All",
                "IncludeManagementEvents": True,
                "DataResources": [],
                "ExcludeManagementEventSources": [],
            }
        ]

    Trail.__init__ = init


# --- CloudTrail DescribeTrails trailNameList --------------------------------------------------
#
# DescribeTrails with trailNameList answers only the trails named (names of trails of the
# region, or ARNs of any region's); without it, every trail of the region (with shadow trails
# when includeShadowTrails is true, the default)
# (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_DescribeTrails.html).
# moto ignored the list and answered every trail, so a lookup of one trail found them all.


def patch_cloudtrail_describe_trails_by_name():
    from moto.cloudtrail.responses import CloudTrailResponse

    original = CloudTrailResponse.describe_trails

    def describe_trails(self):
        wanted = self._get_param("trailNameList") or []
        body = original(self)
        if not wanted:
            return body
        out = json.loads(body)
        out["trailList"] = [
            t for t in out.get("trailList", []) if t.get("Name") in wanted or t.get("TrailARN") in wanted
        ]
        return json.dumps(out)

    CloudTrailResponse.describe_trails = describe_trails


# --- KMS automatic key rotation -------------------------------------------------------------
#
# EnableKeyRotation takes RotationPeriodInDays (90 to 2560, 365 when left out) and applies only
# to symmetric encryption keys with key material KMS generated; asymmetric, HMAC, imported and
# custom key store keys, and AWS managed keys, are refused with UnsupportedOperationException
# (https://docs.aws.amazon.com/kms/latest/APIReference/API_EnableKeyRotation.html).
# GetKeyRotationStatus answers KeyId (the key ARN) and, while rotation is on,
# RotationPeriodInDays and NextRotationDate (https://docs.aws.amazon.com/kms/latest/
# APIReference/API_GetKeyRotationStatus.html). moto ignored the period, enabled rotation on any
# key and answered KeyRotationEnabled alone. Not modelled: key states (a disabled or
# pending-deletion key is treated like an enabled one) and on-demand rotation dates.

_DAY_SECONDS = 86400


def patch_kms_rotation():
    from moto.core.exceptions import JsonRESTError
    from moto.kms.exceptions import ValidationException
    from moto.kms.responses import KmsResponse

    def key_of(self):
        key_id = self._get_param("KeyId")
        self._validate_cmk_id(key_id)
        return self.kms_backend.keys[self.kms_backend.get_key_id(key_id)]

    def enable_key_rotation(self):
        key = key_of(self)
        period = self._get_param("RotationPeriodInDays")
        if key.key_manager != "CUSTOMER" or key.key_spec != "SYMMETRIC_DEFAULT" or key.origin != "AWS_KMS":
            raise JsonRESTError(
                "UnsupportedOperationException",
                f"{key.arn} does not support automatic key rotation: only customer managed "
                "symmetric encryption keys with AWS_KMS key material do",
            )
        if period is not None and not 90 <= int(period) <= 2560:
            raise ValidationException(
                f"1 validation error detected: Value '{period}' at 'rotationPeriodInDays' failed "
                "to satisfy constraint: Member must have value between 90 and 2560"
            )
        key.key_rotation_status = True
        key.rampart_rotation_period = int(period) if period is not None else 365
        key.rampart_rotation_enabled_at = datetime.now(timezone.utc).timestamp()
        return json.dumps(None)

    def get_key_rotation_status(self):
        key = key_of(self)
        out = {"KeyId": key.arn, "KeyRotationEnabled": bool(key.key_rotation_status)}
        if key.key_rotation_status:
            period = getattr(key, "rampart_rotation_period", 365)
            since = getattr(key, "rampart_rotation_enabled_at", key.creation_date)
            out["RotationPeriodInDays"] = period
            out["NextRotationDate"] = since + period * _DAY_SECONDS
        return json.dumps(out)

    KmsResponse.enable_key_rotation = enable_key_rotation
    KmsResponse.get_key_rotation_status = get_key_rotation_status


# --- SQS SetQueueAttributes keeps the policy ----------------------------------------------
#
# SetQueueAttributes changes the attributes a request names; the others keep their values
# (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/
# API_SetQueueAttributes.html: an empty Policy is what removes a policy). moto reset the
# queue's Policy on every call that did not name it, so turning on encryption dropped it.


def patch_sqs_set_attributes_keeps_policy():
    from moto.sqs.models import SQSBackend

    original = SQSBackend.set_queue_attributes

    def set_queue_attributes(self, queue_name, attributes):
        policy = self.get_queue(queue_name).policy
        queue = original(self, queue_name, attributes)
        if "Policy" not in attributes:
            queue.policy = policy
        return queue

    SQSBackend.set_queue_attributes = set_queue_attributes


def patch_redshift_retention_zero():
    """CreateCluster with AutomatedSnapshotRetentionPeriod=0 makes a cluster without automated
    snapshots (the documented range is 0 to 35, 0 turning them off); moto 5.2.5 reads 0 as
    "not given" and stores its default of 1."""
    from moto.redshift.models import Cluster

    original = Cluster.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        given = kwargs.get("automated_snapshot_retention_period")
        if given is not None and int(given) == 0:
            self.automated_snapshot_retention_period = 0

    Cluster.__init__ = init


def patch_elasticache_modify_cache_cluster():
    """moto 5.2.5 has no ModifyCacheCluster (every call answers HTTP 500). This serves the two
    settings Rampart changes, AutoMinorVersionUpgrade and SnapshotRetentionLimit (both take
    effect at once on AWS, whatever ApplyImmediately says), and CacheClusterNotFound for a
    missing cluster; the other parameters (node type, engine version, node count, security
    groups, ...) are not modelled and are left as they were."""
    from moto.core.responses import ActionResult
    from moto.elasticache.exceptions import CacheClusterNotFound
    from moto.elasticache.responses import ElastiCacheResponse

    def modify_cache_cluster(self):
        cluster_id = self._get_param("CacheClusterId")
        clusters = self.elasticache_backend.cache_clusters
        if cluster_id not in clusters:
            raise CacheClusterNotFound(cluster_id)
        cluster = clusters[cluster_id]
        upgrade = self._get_bool_param("AutoMinorVersionUpgrade")
        if upgrade is not None:
            cluster.auto_minor_version_upgrade = upgrade
        retention = self._get_int_param("SnapshotRetentionLimit")
        if retention is not None:
            cluster.snapshot_retention_limit = retention
        return ActionResult({"CacheCluster": cluster})

    ElastiCacheResponse.modify_cache_cluster = modify_cache_cluster


# --- Lambda AddPermission statements ----------------------------------------------------------
#
# AddPermission turns its request into one policy statement whose conditions AWS documents
# (https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html): SourceArn
# is ArnLike AWS:SourceArn, SourceAccount StringEquals AWS:SourceAccount, PrincipalOrgID
# StringEquals aws:PrincipalOrgID, EventSourceToken StringEquals lambda:EventSourceToken,
# FunctionUrlAuthType StringEquals lambda:FunctionUrlAuthType, InvokedViaFunctionUrl Bool
# lambda:InvokedViaFunctionUrl, all in one Condition; an account id principal reads
# {"AWS": "arn:aws:iam::<id>:root"} and a service principal (alexa-appkit.amazon.com too)
# {"Service": ...}. moto dropped EventSourceToken, left FunctionUrlAuthType as a key of the
# statement, let one StringEquals condition replace another, and kept an account id or an
# .amazon.com service as they were.


def patch_lambda_permission_statements():
    from moto.awslambda.policy import Policy

    original = Policy.decode_policy
    fields = (
        ("SourceArn", "ArnLike", "AWS:SourceArn"),
        ("SourceAccount", "StringEquals", "AWS:SourceAccount"),
        ("PrincipalOrgID", "StringEquals", "aws:PrincipalOrgID"),
        ("EventSourceToken", "StringEquals", "lambda:EventSourceToken"),
        ("FunctionUrlAuthType", "StringEquals", "lambda:FunctionUrlAuthType"),
    )

    def decode_policy(self, obj):
        if "Action" not in obj:
            return original(self, obj)
        condition = {}
        for field, op, key in fields:
            if field in obj:
                condition.setdefault(op, {})[key] = obj.pop(field)
        if obj.pop("InvokedViaFunctionUrl", None):
            condition.setdefault("Bool", {})["lambda:InvokedViaFunctionUrl"] = "true"
        principal = obj.get("Principal")
        if isinstance(principal, str) and re.fullmatch(r"[0-9]{12}", principal):
            obj["Principal"] = {"AWS": f"arn:aws:iam::{principal}:root"}
        elif isinstance(principal, str) and principal.endswith(".amazon.com"):
            obj["Principal"] = {"Service": principal}
        policy = original(self, obj)
        if condition:
            policy.statements[0]["Condition"] = condition
        return policy

    Policy.decode_policy = decode_policy


def patch_codebuild_update_project():
    """moto 5.2.5 has no UpdateProject (every call answers HTTP 500). As the API reference
    describes (https://docs.aws.amazon.com/codebuild/latest/APIReference/API_UpdateProject.html),
    each top-level field given replaces the project's field whole (an environment sent without
    privilegedMode loses it), fields not given are kept, lastModifiedDate moves, and the answer
    is the project; ResourceNotFoundException for a missing project. Validation of the fields'
    contents is moto's CreateProject validation of the environment only."""
    from moto.codebuild.exceptions import ResourceNotFoundException
    from moto.codebuild.responses import CodeBuildResponse, _validate_required_params_environment
    from moto.core.responses import ActionResult
    from moto.core.utils import unix_time

    fields = (
        "description", "source", "secondarySources", "sourceVersion",
        "secondarySourceVersions", "artifacts", "secondaryArtifacts", "cache", "environment",
        "serviceRole", "timeoutInMinutes", "queuedTimeoutInMinutes", "encryptionKey", "tags",
        "vpcConfig", "logsConfig", "fileSystemLocations", "buildBatchConfig",
        "concurrentBuildLimit", "autoRetryLimit",
    )

    def update_project(self):
        name = self._get_param("name")
        project = self.codebuild_backend.codebuild_projects.get(name)
        if project is None:
            raise ResourceNotFoundException(f"Failed to find project: {name}")
        meta = project.project_metadata
        for field in fields:
            value = self._get_param(field)
            if value is None:
                continue
            if field == "environment":
                _validate_required_params_environment(value)
            meta[field] = value
        badge = self._get_param("badgeEnabled")
        if badge is not None:
            meta["badge"] = {"badgeEnabled": bool(badge)}
        if self._get_param("serviceRole") is not None:
            project.service_role = meta["serviceRole"]
        meta["lastModifiedDate"] = unix_time()
        return ActionResult({"project": meta})

    CodeBuildResponse.update_project = update_project


def patch_athena_update_work_group():
    """moto 5.2.5 has no UpdateWorkGroup (every call answers HTTP 500). As the API reference
    describes (https://docs.aws.amazon.com/athena/latest/APIReference/API_UpdateWorkGroup.html,
    API_WorkGroupConfigurationUpdates.html, API_ResultConfigurationUpdates.html), Description
    and State are set when given, each ConfigurationUpdates field given sets that setting of
    the configuration (the Remove* flags drop theirs) and everything not named is kept;
    InvalidRequestException for a missing workgroup. Also ListTagsForResource of a workgroup
    without tags (below)."""
    import json as _json
    from moto.athena.responses import AthenaResponse

    result_fields = ("OutputLocation", "EncryptionConfiguration", "ExpectedBucketOwner",
                     "AclConfiguration")
    removals = {"RemoveBytesScannedCutoffPerQuery": "BytesScannedCutoffPerQuery",
                "RemoveCustomerContentEncryptionConfiguration":
                    "CustomerContentEncryptionConfiguration"}

    def update_work_group(self):
        name = self._get_param("WorkGroup")
        wg = self.athena_backend.work_groups.get(name)
        if wg is None:
            return self.error(f"WorkGroup {name} is not found.", 400)
        description = self._get_param("Description")
        if description is not None:
            wg.description = description
        state = self._get_param("State")
        if state is not None:
            wg.state = state
        updates = self._get_param("ConfigurationUpdates") or {}
        conf = wg.configuration
        for key, value in updates.items():
            if key == "ResultConfigurationUpdates":
                result = conf.setdefault("ResultConfiguration", {})
                for field in result_fields:
                    if value.get("Remove" + field):
                        result.pop(field, None)
                    elif field in value:
                        result[field] = value[field]
            elif key in removals:
                if value:
                    conf.pop(removals[key], None)
            elif key == "EngineVersion":
                selected = value.get("SelectedEngineVersion", "AUTO")
                conf["EngineVersion"] = {
                    "SelectedEngineVersion": selected,
                    "EffectiveEngineVersion": "Athena engine version 3"
                    if selected == "AUTO" else selected,
                }
            else:
                conf[key] = value
        return _json.dumps({})

    AthenaResponse.update_work_group = update_work_group

    # ListTagsForResource of a workgroup without tags answers an empty list on AWS
    # (https://docs.aws.amazon.com/athena/latest/APIReference/API_ListTagsForResource.html);
    # moto answers that the resource does not exist.
    original_tags = AthenaResponse.list_tags_for_resource

    def list_tags_for_resource(self):
        arn = self._get_param("ResourceARN") or ""
        backend = self.athena_backend
        if not backend.tagger.has_tags(arn) and any(
            wg.arn == arn for wg in backend.work_groups.values()
        ):
            return _json.dumps({"Tags": []})
        return original_tags(self)

    AthenaResponse.list_tags_for_resource = list_tags_for_resource


# --- ECR PutImageScanningConfiguration turning scanning off --------------------------------
#
# scanOnPush is a boolean that defaults to false
# (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ImageScanningConfiguration.html),
# and SDKs leave a false one out of the request: {"imageScanningConfiguration": {}} turns scan
# on push off. moto ignored an empty configuration, so scanning could never be turned off.


def patch_ecr_scan_on_push_off():
    from moto.ecr.models import ECRBackend

    def put_image_scanning_configuration(self, registry_id, repository_name, image_scan_config):
        repo = self._get_repository(repository_name, registry_id)
        repo.image_scanning_configuration = {
            "scanOnPush": bool((image_scan_config or {}).get("scanOnPush", False))
        }
        return {
            "registryId": repo.registry_id,
            "repositoryName": repository_name,
            "imageScanningConfiguration": repo.image_scanning_configuration,
        }

    ECRBackend.put_image_scanning_configuration = put_image_scanning_configuration


# --- server ---------------------------------------------------------------------------------


# The services Rampart calls, loaded in the background as soon as the server listens: moto
# imports a service and its API model on first use (EC2 alone takes seconds), which would
# otherwise be charged to the first assessment. Requests arriving meanwhile are served as usual.
_WARM = (
    "sts",
    "iam",
    "organizations",
    "account",
    "ec2",
    "s3",
    "s3control",
    "cloudtrail",
    "logs",
    "cloudwatch",
    "sns",
    "kms",
    "rds",
    "efs",
    "config",
    "securityhub",
    "autoscaling",
    "dynamodb",
    "events",
)


def warm(app):
    for name in _WARM:
        get_service_model(name)
        created = create_backend_app(name)
        with app.lock:
            app.app_instances.setdefault(name, created)


def application():
    patch_s3_versioning()
    patch_eni_groups()
    patch_organizations()
    patch_org_features()
    patch_event_bus_ref()
    patch_cfn_inline_role_policies()
    patch_securityhub_batch_update_findings()
    patch_instance_metadata_options()
    patch_network_acl_entries()
    patch_password_policy_max_age()
    patch_kms_rotation()
    patch_cloudtrail_default_selectors()
    patch_cloudtrail_describe_trails_by_name()
    patch_sqs_set_attributes_keeps_policy()
    patch_redshift_retention_zero()
    patch_elasticache_modify_cache_cluster()
    patch_codebuild_update_project()
    patch_athena_update_work_group()
    patch_lambda_permission_statements()
    patch_ecr_scan_on_push_off()
    app = DomainDispatcherApplication(create_backend_app)
    app.debug = True
    threading.Thread(target=warm, args=(app,), daemon=True).start()
    return AccessAnalyzer(RpcV2CborTranslator(app))


class Identity:
    """Answers `GET /__rampart/pid` with this process's id, so the test harness can tell its
    own emulator from another one that took the same port first (two tests picking one free
    port: the second emulator fails to bind while its harness reaches the first)."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == "/__rampart/age-access-key":
            return age_access_key(environ, start_response)
        if environ.get("PATH_INFO") == "/__rampart/pid":
            body = str(os.getpid()).encode()
            start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
            return [body]
        return self.app(environ, start_response)


def age_access_key(environ, start_response):
    """`POST /__rampart/age-access-key?account=A&key=AKIA...&days=N`: makes an access key as
    old as a key created N days ago and never used (fixtures need keys past rotation age,
    which on AWS simply exist; the emulator stamps every key with the moment it is made)."""
    from urllib.parse import parse_qs
    from datetime import timedelta
    from moto.core.utils import utcnow
    from moto.iam.models import iam_backends

    q = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    found = False
    try:
        days = int(q.get("days", ""))
        backend = iam_backends[q["account"]]["global"]
        for user in backend.users.values():
            for k in user.access_keys:
                if k.access_key_id == q["key"]:
                    k.create_date = utcnow() - timedelta(days=days)
                    k.last_used = None
                    found = True
    except (KeyError, ValueError):
        found = False
    status = "200 OK" if found else "404 Not Found"
    body = b"aged" if found else b"no such access key"
    start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


def exit_with_parent():
    """Ends the emulator when the process that started it is gone (a test binary keeps one
    emulator for all its tests and cannot stop it from a static; a killed demo must not leave
    it behind): the parent id changes once the parent dies."""
    parent = os.getppid()

    def watch():
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def main(argv=None):
    parser = argparse.ArgumentParser(description="moto server with Rampart's emulator fixes")
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args(argv)
    os.environ.setdefault("MOTO_PORT", str(args.port))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    exit_with_parent()
    run_simple(
        args.host,
        args.port,
        Identity(application()),
        threaded=True,
        use_reloader=False,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
