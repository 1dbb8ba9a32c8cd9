// Tiled matrix product c = a @ b, row-major: a is m x k, b is k x n, c is m x n.
// A workgroup of 16 x 16 invocations computes a 64 x 64 tile of c, each invocation a
// 4 x 4 block of it (rows ly + 16 i, columns lx + 16 j, so that neighbouring invocations
// touch neighbouring addresses). The depth is walked in steps of 16: the step's 64 x 16
// slice of a and 16 x 64 slice of b are staged in workgroup memory once and read from
// there 64 times each. Loads outside the matrices give zero and stores outside c are
// skipped, so any shape works. `alias T` as in elementwise.wgsl.
alias T = f32;

const TILE: u32 = 64u;  // rows and columns of c per workgroup
const DEPTH: u32 = 16u;  // depth of one step
const SIDE: u32 = 16u;  // invocations per side of the workgroup
const BLOCK: u32 = 4u;  // rows and columns of c per invocation: TILE / SIDE
const LOADS: u32 = 4u;  // elements of each slice one invocation stages: TILE * DEPTH / 256

struct Params {
  m: u32,
  n: u32,
  k: u32,
  pad: u32,
}

@group(0) @binding(0) var<storage, read> a: array<T>;
@group(0) @binding(1) var<storage, read> b: array<T>;
@group(0) @binding(2) var<storage, read_write> c: array<T>;
@group(0) @binding(3) var<uniform> params: Params;

var<workgroup> slice_a: array<array<T, TILE>, DEPTH>;  // [depth][row]
var<workgroup> slice_b: array<array<T, TILE>, DEPTH>;  // [depth][column]

@compute @workgroup_size(SIDE, SIDE)
fn main(
  @builtin(workgroup_id) group: vec3u,
  @builtin(local_invocation_id) local: vec3u,
  @builtin(local_invocation_index) index: u32,
) {
  let m = params.m;
  let n = params.n;
  let k = params.k;
  let row0 = group.y * TILE;
  let col0 = group.x * TILE;
  var acc: array<array<T, BLOCK>, BLOCK>;
  for (var d0 = 0u; d0 < k; d0 += DEPTH) {
    for (var l = 0u; l < LOADS; l++) {
      let slot = index + l * SIDE * SIDE;
      // a: consecutive invocations read along a row of a
      let ra = slot / DEPTH;
      let da = slot % DEPTH;
      var va = T(0);
      if (row0 + ra < m && d0 + da < k) {
        va = a[(row0 + ra) * k + d0 + da];
      }
      slice_a[da][ra] = va;
      // b: consecutive invocations read along a row of b
      let db = slot / TILE;
      let cb = slot % TILE;
      var vb = T(0);
      if (d0 + db < k && col0 + cb < n) {
        vb = b[(d0 + db) * n + col0 + cb];
      }
      slice_b[db][cb] = vb;
    }
    workgroupBarrier();
    for (var d = 0u; d < DEPTH; d++) {
      var column: array<T, BLOCK>;
      for (var j = 0u; j < BLOCK; j++) {
        column[j] = slice_b[d][local.x + j * SIDE];
      }
      for (var i = 0u; i < BLOCK; i++) {
        let x = slice_a[d][local.y + i * SIDE];
        for (var j = 0u; j < BLOCK; j++) {
          acc[i][j] += x * column[j];
        }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < BLOCK; i++) {
    let row = row0 + local.y + i * SIDE;
    for (var j = 0u; j < BLOCK; j++) {
      let col = col0 + local.x + j * SIDE;
      if (row < m && col < n) {
        c[row * n + col] = acc[i][j];
      }
    }
  }
}
