/**
 * A deck.gl layer that draws the density view's image (densitySplat.ts) as
 * one full-view quad: each fragment fetches its own texel, so the picture is
 * the CPU's sums pixel for pixel. The texture is rewritten, not recreated,
 * while the view keeps its size.
 */
import { Layer, UpdateParameters } from '@deck.gl/core';
import type { LayerContext, LayerProps } from '@deck.gl/core';
import { Texture } from '@luma.gl/core';
import { Model } from '@luma.gl/engine';

const vs = /* glsl */ `\
#version 300 es
#define SHADER_NAME visionlens-density-vertex-shader
void main(void) {
  // A triangle strip over the whole view, from the vertex index alone.
  vec2 corner = vec2(float(gl_VertexID & 1), float(gl_VertexID >> 1));
  gl_Position = vec4(corner * 2.0 - 1.0, 0.0, 1.0);
}
`;

const fs = /* glsl */ `\
#version 300 es
#define SHADER_NAME visionlens-density-fragment-shader
precision highp float;
uniform sampler2D densityTexture;
out vec4 fragColor;

void main(void) {
  fragColor = texelFetch(densityTexture, ivec2(gl_FragCoord.xy), 0);
}
`;

/** The density image: RGBA bytes, rows from the bottom, the view's size. */
export interface IDensityImage {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

export type DensityLayerProps = LayerProps & { image: IDensityImage };

/** The density view's image as one quad (see the module comment). */
export class DensityLayer extends Layer<Required<DensityLayerProps>> {
  static layerName = 'VisionLensDensityLayer';

  state!: { model?: Model; texture?: Texture };

  initializeState(): void {
    // No attributes: the quad's corners come from the vertex index.
  }

  getShaders() {
    return super.getShaders({ vs, fs, modules: [] });
  }

  updateState(params: UpdateParameters<this>): void {
    super.updateState(params);
    const { image } = this.props;
    if (!this.state.model) {
      this.state.model = new Model(this.context.device, {
        ...this.getShaders(),
        id: this.props.id,
        topology: 'triangle-strip',
        vertexCount: 4
      });
    }
    let texture = this.state.texture;
    const resized =
      !texture ||
      texture.width !== image.width ||
      texture.height !== image.height;
    if (resized) {
      texture?.destroy();
      texture = this.context.device.createTexture({
        format: 'rgba8unorm',
        width: image.width,
        height: image.height
      });
      this.state.texture = texture;
      this.state.model.setBindings({ densityTexture: texture });
    }
    if (resized || params.oldProps.image !== image) {
      texture!.writeData(image.data);
    }
  }

  finalizeState(context: LayerContext): void {
    this.state.texture?.destroy();
    this.state.model?.destroy();
    super.finalizeState(context);
  }

  draw(): void {
    this.state.model!.draw(this.context.renderPass);
  }
}
