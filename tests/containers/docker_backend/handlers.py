"""The handler code and template the container tests deploy (one project, many functions)."""

APP = """
import json
import os
import socket
import time


def environment_id():
    return os.environ["AWS_LAMBDA_LOG_STREAM_NAME"].rpartition("]")[2]


def hello(event, context):
    print("hello from the container", context.aws_request_id)
    return {"environment": environment_id(), "event": event}


def probe(event, context):
    def writable(folder):
        try:
            with open(os.path.join(folder, "probe.txt"), "w") as handle:
                handle.write("x")
            return True
        except OSError:
            return False

    limit = None
    for path in ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory.max"):
        if os.path.exists(path):
            limit = open(path).read().strip()
    return {
        "uid": os.getuid(),
        "task_root_writable": writable("/var/task"),
        "tmp_writable": writable("/tmp"),
        "memory_limit": limit,
        "runtime_api": os.environ["AWS_LAMBDA_RUNTIME_API"].rpartition(":")[0],
        "task_root": os.environ["LAMBDA_TASK_ROOT"],
        "cwd": os.getcwd(),
        "host_alias": socket.gethostbyname("host.docker.internal"),
    }


def fail(event, context):
    raise ValueError("boom")


def sleepy(event, context):
    time.sleep(event.get("sleep", 0))
    return {"environment": environment_id()}


def hog(event, context):
    hoard = b"x" * (event.get("mb", 0) * 1024 * 1024)
    return {"environment": environment_id(), "held": len(hoard)}


def leave(event, context):
    os._exit(3)
"""

NODE_APP = """
export const handler = async (event, context) => {
  console.log("hello from node", context.awsRequestId);
  return { node: process.version, event };
};
"""

TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.11
    CodeUri: src/
    Timeout: 10
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties: {FunctionName: dk-hello, Handler: app.hello}
  Probe:
    Type: AWS::Serverless::Function
    Properties: {FunctionName: dk-probe, Handler: app.probe}
  Fail:
    Type: AWS::Serverless::Function
    Properties: {FunctionName: dk-fail, Handler: app.fail}
  Sleepy:
    Type: AWS::Serverless::Function
    Properties: {FunctionName: dk-sleepy, Handler: app.sleepy, Timeout: 1}
  Hog:
    Type: AWS::Serverless::Function
    Properties: {FunctionName: dk-hog, Handler: app.hog, MemorySize: 128}
  Leave:
    Type: AWS::Serverless::Function
    Properties: {FunctionName: dk-leave, Handler: app.leave}
  Parallel:
    Type: AWS::Serverless::Function
    Properties: {FunctionName: dk-parallel, Handler: app.sleepy, ReservedConcurrentExecutions: 3}
  Single:
    Type: AWS::Serverless::Function
    Properties: {FunctionName: dk-single, Handler: app.sleepy, ReservedConcurrentExecutions: 1}
  AwsBase:
    Type: AWS::Serverless::Function
    Properties: {FunctionName: dk-awsbase, Handler: app.hello, Runtime: python3.10}
  Missing:
    Type: AWS::Serverless::Function
    Properties: {FunctionName: dk-missing, Handler: app.hello, Runtime: python3.12}
  Node:
    Type: AWS::Serverless::Function
    Properties: {FunctionName: dk-node, Handler: index.handler, Runtime: nodejs20.x, CodeUri: node/}
  FromImage:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: dk-image
      PackageType: Image
      ImageUri: IMAGE_URI
      ImageConfig: {Command: ["app.hello"]}
  FromPlainImage:
    Type: AWS::Serverless::Function
    Properties: {FunctionName: dk-plain-image, PackageType: Image, ImageUri: PLAIN_IMAGE_URI}
"""
