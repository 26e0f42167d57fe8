// How a bound scene node shows its thing's live state. The node's glTF `extras`
// (three.js: userData) choose: {effect: spin | glow | swing | tint, property?: name}.
// Without extras: glow for things with onOff, tint otherwise. glTF animations that target
// the node play while onOff is true (a fan spins); "spin" without a clip rotates the node.

import * as THREE from 'three';
import { NEUTRAL, primaryProperty, valueBand } from './colors.js';

const GLOW = new THREE.Color('#ffcf6b');
const SWING_OPEN = -Math.PI * 0.42;

/** Materials of a node's meshes, cloned once so that changing them touches no other node. */
function ownMaterials(node) {
  if (node.userData.ownMaterials) return node.userData.ownMaterials;
  const materials = [];
  node.traverse((child) => {
    if (!child.isMesh) return;
    child.material = Array.isArray(child.material)
      ? child.material.map((m) => m.clone())
      : child.material.clone();
    materials.push(...(Array.isArray(child.material) ? child.material : [child.material]));
  });
  node.userData.ownMaterials = materials;
  node.userData.baseColors = materials.map((m) => (m.color ? m.color.clone() : null));
  return materials;
}

/** The clips of `clips` whose tracks animate `node` or one of its descendants. */
export function clipsFor(node, clips) {
  const names = new Set();
  node.traverse((child) => names.add(child.name));
  return clips.filter((clip) =>
    clip.tracks.some((track) => names.has(THREE.PropertyBinding.parseTrackName(track.name).nodeName)),
  );
}

export class NodeEffect {
  /**
   * @param {THREE.Object3D} node the bound node
   * @param {THREE.AnimationMixer|null} mixer the scene's mixer
   * @param {THREE.AnimationClip[]} clips the scene's clips
   */
  constructor(node, mixer, clips) {
    this.node = node;
    this.kind = node.userData.effect || null;
    this.property = node.userData.property || null;
    this.actions = mixer ? clipsFor(node, clips).map((clip) => mixer.clipAction(clip)) : [];
    this.baseRotation = node.rotation.y;
    this.swing = 0;
    this.light = null;
  }

  /** Apply the state of `thing` (its readings) for a frame `dt` seconds long. */
  update(thing, dt) {
    const on = thing.readings.get('onOff')?.value === true;
    const kind = this.kind || (thing.readings.has('onOff') ? 'glow' : 'tint');
    for (const action of this.actions) {
      if (on && !action.isRunning()) action.play();
      if (!on && action.isRunning()) action.stop();
    }
    if (kind === 'spin' && !this.actions.length && on) this.node.rotateY(dt * Math.PI * 2.5);
    if (kind === 'glow') this.#glow(on);
    if (kind === 'swing') this.#swing(thing, dt);
    if (kind === 'tint') this.#tint(thing);
  }

  #glow(on) {
    if (this.glowing === on) return;
    this.glowing = on;
    for (const material of ownMaterials(this.node)) {
      if (!material.emissive) continue;
      material.emissive.copy(on ? GLOW : new THREE.Color(0, 0, 0));
      material.emissiveIntensity = on ? 1.2 : 0;
    }
    if (!this.light) {
      this.light = new THREE.PointLight(GLOW, 0, 4, 2);
      this.light.position.set(0, 0.3, 0);
      this.node.add(this.light);
    }
    this.light.intensity = on ? 3 : 0;
  }

  #swing(thing, dt) {
    const closed = thing.readings.get(this.property || 'contact')?.value;
    const target = closed === false ? SWING_OPEN : 0;
    this.swing += (target - this.swing) * Math.min(1, dt * 4);
    this.node.rotation.y = this.baseRotation + this.swing;
  }

  #tint(thing) {
    const property = this.property && thing.readings.has(this.property)
      ? this.property
      : primaryProperty(thing.readings);
    const reading = property ? thing.readings.get(property) : null;
    const band = reading ? valueBand(property, reading.value) : null;
    const color = new THREE.Color(band ? band.color : NEUTRAL);
    if (this.tinted === color.getHexString()) return;
    this.tinted = color.getHexString();
    for (const material of ownMaterials(this.node)) {
      if (material.color) material.color.copy(color);
      if (material.emissive) {
        material.emissive.copy(color);
        material.emissiveIntensity = 0.35;
      }
    }
  }
}
