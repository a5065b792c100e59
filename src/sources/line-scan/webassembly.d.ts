// The part of the WebAssembly JS API line-scan.ts and normalize/json-scan.ts use: Node 20 has it, @types/node 20 does not declare it
// (its lib is ES2023 without DOM, where these types live).
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports: object);
    readonly exports: Record<string, unknown>;
  }
  class Memory {
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
  }
}
