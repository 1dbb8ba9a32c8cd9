// Elementwise arithmetic: out[i] = a[i] (op) b[i], or a[i] (op) value with a scalar.
// `alias T` is f32 as written; the package swaps in i32 for int32 arrays (shaders.py).
// OP picks the operation when the pipeline is made: 0 add, 1 subtract, 2 multiply,
// 3 divide. Each invocation walks the array in strides of the whole dispatch, so one
// dispatch covers any length within the 65535-workgroup limit.
alias T = f32;

override OP: u32 = 0u;
const WORKGROUP: u32 = 256u;

struct Params {
  n: u32,
  swap: u32,  // scalar entry: 1 computes value (op) a[i] instead of a[i] (op) value
  value: T,
  pad: u32,
}

@group(0) @binding(0) var<storage, read> a: array<T>;
@group(0) @binding(1) var<storage, read> b: array<T>;
@group(0) @binding(2) var<storage, read_write> out: array<T>;
@group(0) @binding(3) var<uniform> params: Params;

fn apply(x: T, y: T) -> T {
  switch OP {
    case 0u: { return x + y; }
    case 1u: { return x - y; }
    case 2u: { return x * y; }
    default: { return x / y; }
  }
}

@compute @workgroup_size(WORKGROUP)
fn binary(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  for (var i = id.x; i < params.n; i += groups.x * WORKGROUP) {
    out[i] = apply(a[i], b[i]);
  }
}

@compute @workgroup_size(WORKGROUP)
fn scalar(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  for (var i = id.x; i < params.n; i += groups.x * WORKGROUP) {
    if (params.swap != 0u) {
      out[i] = apply(params.value, a[i]);
    } else {
      out[i] = apply(a[i], params.value);
    }
  }
}
