// One pass of a reduction: each workgroup folds its share of `values` (a grid-stride
// walk, then a tree in workgroup memory) into one value, out[workgroup]. Two passes
// reduce any length: the first over the array, the second (one workgroup) over the
// first's partial results. OP: 0 sum, 1 max, 2 min. `alias T` as in elementwise.wgsl.
alias T = f32;

override OP: u32 = 0u;
const WORKGROUP: u32 = 256u;

struct Params {
  n: u32,  // at least 1: the host never reduces an empty array on the GPU
  pad0: u32,
  pad1: u32,
  pad2: u32,
}

@group(0) @binding(0) var<storage, read> values: array<T>;
@group(0) @binding(1) var<storage, read_write> out: array<T>;
@group(0) @binding(2) var<uniform> params: Params;

var<workgroup> partial: array<T, WORKGROUP>;

fn combine(x: T, y: T) -> T {
  switch OP {
    case 0u: { return x + y; }
    case 1u: { return max(x, y); }
    default: { return min(x, y); }
  }
}

@compute @workgroup_size(WORKGROUP)
fn main(
  @builtin(global_invocation_id) id: vec3u,
  @builtin(local_invocation_index) local: u32,
  @builtin(workgroup_id) group: vec3u,
  @builtin(num_workgroups) groups: vec3u,
) {
  // A sum starts from zero; max and min from an element of the array itself, so that
  // invocations with nothing to read add nothing (no infinity literal is needed).
  var acc = values[0];
  if (OP == 0u) {
    acc = T(0);
  }
  for (var i = id.x; i < params.n; i += groups.x * WORKGROUP) {
    acc = combine(acc, values[i]);
  }
  partial[local] = acc;
  workgroupBarrier();
  for (var width = WORKGROUP / 2u; width > 0u; width /= 2u) {
    if (local < width) {
      partial[local] = combine(partial[local], partial[local + width]);
    }
    workgroupBarrier();
  }
  if (local == 0u) {
    out[group.x] = partial[0];
  }
}
