/**
 * A deck.gl layer that draws each map point as one `gl.POINTS` vertex.
 *
 * deck.gl's ScatterplotLayer draws an instanced quad per point with circle
 * work per fragment: 13-19 s a frame at 1M points on software GL
 * (SwiftShader). One plain vertex per point costs a few hundred ms there.
 * Round, larger points ("rich" drawing) are switched on by the panel when few
 * points are in view. Filtering and selection are a per-point flags byte read
 * in the vertex shader, so a filter change uploads n bytes, never positions.
 * `indices` (see pixelLod.ts) draws a subset, in draw order, through an index
 * buffer; `getCounts` gives each drawn point the number of points it stands for.
 */
import { Layer, UpdateParameters, DefaultProps } from '@deck.gl/core';
import type { LayerContext, LayerProps } from '@deck.gl/core';
import { Buffer } from '@luma.gl/core';
import { Model } from '@luma.gl/engine';
import type { ShaderModule } from '@luma.gl/shadertools';

import { FLAG_IN_FILTER } from './flags';

/** How points outside the filter are drawn. */
export type FilterMode = 'hide' | 'dim';

type PointsUniforms = {
  center: [number, number];
  scale: [number, number];
  pointSize: number;
  filterMode: number;
  hasSelection: number;
  density: number;
  round: number;
};

const uniformBlock = `\
layout(std140) uniform pointsUniforms {
  vec2 center;
  vec2 scale;
  float pointSize;
  float filterMode;
  float hasSelection;
  float density;
  float round;
} points;
`;

const pointsUniforms = {
  name: 'points',
  vs: uniformBlock,
  fs: uniformBlock,
  uniformTypes: {
    center: 'vec2<f32>',
    scale: 'vec2<f32>',
    pointSize: 'f32',
    filterMode: 'f32',
    hasSelection: 'f32',
    density: 'f32',
    round: 'f32'
  }
} as const satisfies ShaderModule<PointsUniforms>;

const vs = /* glsl */ `\
#version 300 es
#define SHADER_NAME visionlens-points-vertex-shader
in vec2 pointPositions;
in vec4 pointColors;
in float pointFlags;
in float pointCounts;
out vec4 vColor;

void main(void) {
  float flags = floor(pointFlags * 255.0 + 0.5);
  bool inFilter = mod(flags, 2.0) > 0.5;
  bool selected = flags >= 2.0;
  // An orthographic map is a scale and a shift: two multiply-adds instead of
  // deck.gl's generic projection (the vertex shader is most of a frame on
  // software GL).
  gl_Position = vec4((pointPositions - points.center) * points.scale, 0.0, 1.0);
  // Few points in view ("round"): larger, round points.
  float size = points.round > 0.5 ? points.pointSize * 2.0 + 2.0 : points.pointSize;
  vec4 color = pointColors;
  if (!inFilter) {
    if (points.filterMode < 0.5) {
      // Hidden: outside the clip volume, so the rasterizer drops it.
      gl_Position = vec4(2.0, 2.0, 2.0, 1.0);
    } else {
      color.a *= 0.15;
    }
  }
  if (points.hasSelection > 0.5) {
    if (selected) {
      size += 2.0;
    } else {
      color.a *= 0.3;
    }
  }
  if (points.density > 0.5) {
    // Additive, premultiplied (blend one, one), as densitySplat.ts adds up.
    color.a *= 0.25;
    color.rgb *= color.a;
  } else if (color.a < 1.0) {
    // A level-of-detail representative stands for k points of its tier in
    // its pixel cell (pixelLod.ts): drawn as k stacked copies composite.
    float k = max(1.0, floor(pointCounts * 255.0 + 0.5));
    color.a = 1.0 - pow(1.0 - color.a, k);
  }
  gl_PointSize = size;
  vColor = color;
}
`;

const fs = /* glsl */ `\
#version 300 es
#define SHADER_NAME visionlens-points-fragment-shader
precision highp float;
in vec4 vColor;
out vec4 fragColor;

void main(void) {
  if (points.round > 0.5) {
    vec2 c = gl_PointCoord * 2.0 - 1.0;
    if (dot(c, c) > 1.0) {
      discard;
    }
  }
  fragColor = vColor;
}
`;

/** Props of the points layer (data: `{length, attributes: {getPosition,
 * getColor, getFlags, getCounts}}`). */
export type PointsLayerProps = LayerProps & {
  data: any;
  pointSize?: number;
  filterMode?: FilterMode;
  hasSelection?: boolean;
  density?: boolean;
  round?: boolean;
  /** Draw only these points, in this order, or all in index order when null. */
  indices?: Uint32Array | null;
};

const defaultProps: DefaultProps<PointsLayerProps> = {
  pointSize: { type: 'number', min: 1, value: 2 },
  filterMode: 'hide',
  hasSelection: false,
  density: false,
  round: false,
  indices: null
};

/** Map points as plain GPU points (see the module comment). */
export class PointsLayer extends Layer<Required<PointsLayerProps>> {
  static layerName = 'VisionLensPointsLayer';
  static defaultProps = defaultProps;

  state!: {
    model?: Model;
    /** The uploaded `indices` (null: none; undefined: not uploaded yet). */
    indexBuffer?: Buffer | null;
    indexSource?: Uint32Array | null;
  };

  getShaders() {
    return super.getShaders({ vs, fs, modules: [pointsUniforms] });
  }

  initializeState(): void {
    this.getAttributeManager()!.add({
      pointPositions: { size: 2, type: 'float32', accessor: 'getPosition' },
      pointColors: {
        size: 4,
        type: 'unorm8',
        accessor: 'getColor',
        defaultValue: [31, 119, 180, 255]
      },
      pointFlags: {
        size: 1,
        type: 'unorm8',
        accessor: 'getFlags',
        defaultValue: [FLAG_IN_FILTER]
      },
      pointCounts: {
        size: 1,
        type: 'unorm8',
        accessor: 'getCounts',
        defaultValue: [1]
      }
    });
  }

  updateState(params: UpdateParameters<this>): void {
    super.updateState(params);
    if (params.changeFlags.extensionsChanged || !this.state.model) {
      this.state.model?.destroy();
      this.state.model = new Model(this.context.device, {
        ...this.getShaders(),
        id: this.props.id,
        bufferLayout: this.getAttributeManager()!.getBufferLayouts(),
        topology: 'point-list',
        vertexCount: 0
      });
      this.getAttributeManager()!.invalidateAll();
      this.state.indexBuffer?.destroy();
      this.state.indexBuffer = undefined;
    }
    this._updateIndices();
  }

  finalizeState(context: LayerContext): void {
    this.state.indexBuffer?.destroy();
    super.finalizeState(context);
  }

  /** Upload the index subset when its array changed (identity). */
  private _updateIndices(): void {
    const { indices } = this.props;
    if (
      this.state.indexBuffer !== undefined &&
      this.state.indexSource === indices
    ) {
      return;
    }
    this.state.indexBuffer?.destroy();
    const buffer = indices
      ? this.context.device.createBuffer({
          usage: Buffer.INDEX,
          indexType: 'uint32',
          data: indices
        })
      : null;
    this.state.indexBuffer = buffer;
    this.state.indexSource = indices;
    this.state.model!.setIndexBuffer(buffer);
  }

  draw(): void {
    const model = this.state.model!;
    const { pointSize, filterMode, hasSelection, density, round } = this.props;
    // The orthographic view (flipY off): data (x, y) to clip space, y up.
    const viewport = this.context.viewport as any;
    const [tx, ty] = viewport.target ?? [0, 0];
    const sx = 2 ** viewport.zoomX;
    const sy = 2 ** viewport.zoomY;
    model.shaderInputs.setProps({
      points: {
        center: [tx, ty],
        scale: [(2 * sx) / viewport.width, (2 * sy) / viewport.height],
        pointSize,
        filterMode: filterMode === 'dim' ? 1 : 0,
        hasSelection: hasSelection ? 1 : 0,
        density: density ? 1 : 0,
        round: round ? 1 : 0
      }
    });
    const { indices } = this.props;
    model.setVertexCount(indices ? indices.length : this.getNumInstances());
    model.draw(this.context.renderPass);
  }
}
